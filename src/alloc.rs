//! The allocator.
//!
//! Intake and import allocate on one thread and free on another (a batch's
//! messages are built by the reader and dropped after the SQLite writer stored
//! them). glibc's allocator spends much of an import's CPU on that pattern;
//! mimalloc does not (measurements in docs/benchmarks.md).
//!
//! It is built without transparent huge pages (the `no_thp` feature): with
//! them every fresh 2 MiB of heap is zeroed in one page fault, and an import,
//! whose heap keeps growing, then spends a large share of its CPU in the
//! kernel's zeroing.

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;
