//! The allocator, and how it is tuned for sma's way of using memory.
//!
//! Intake and import allocate on one thread and free on another (a batch's
//! messages are built by the reader and dropped after the SQLite writer stored
//! them). Under glibc's allocator malloc and free took about a seventh of an
//! import's CPU; with mimalloc an import runs about 15% faster.
//!
//! Built without transparent huge pages (the `no_thp` feature): with them every
//! fresh 2 MiB of heap was zeroed in one page fault, and the kernel's zeroing
//! took a sixth of an import's CPU.

use libmimalloc_sys as mi;

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

// mimalloc's option numbers (v3, `mi_option_t` in its mimalloc.h); the
// bindings leave these out. A test checks them against their defaults.
const PURGE_DELAY: mi::mi_option_t = 15;

/// For a bulk command that allocates and frees the same amounts over and
/// over: freed memory is kept for reuse rather than given back to the OS a
/// second later (the default) and faulted in (zeroed) again. Memory stays at its peak until the command ends.
pub fn keep_freed_memory() {
    // SAFETY: mi_option_set only stores the value, read when memory is
    // next freed.
    unsafe { mi::mi_option_set(PURGE_DELAY, -1) }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The option numbers name the options meant: each holds its default.
    #[test]
    fn option_numbers_are_the_ones_meant() {
        let get = |option| unsafe { mi::mi_option_get(option) };
        if std::env::vars().any(|(k, _)| k.starts_with("MIMALLOC_")) {
            return;
        }
        assert_eq!(get(PURGE_DELAY), 1000, "purge_delay defaults to 1,000 ms");
        // Option 16, use_numa_nodes, defaults to 0: a shifted table fails.
        assert_eq!(get(PURGE_DELAY + 1), 0, "use_numa_nodes defaults to 0");
        assert_eq!(mi::_mi_option_last, 47, "the v3 option table");
    }
}
