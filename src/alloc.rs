//! The allocator.
//!
//! Intake and import allocate on one thread and free on another (a batch's
//! messages are built by the reader and dropped after the SQLite writer stored
//! them). Under glibc's allocator malloc and free took about a seventh of an
//! import's CPU; with mimalloc an import runs about 15% faster.
//!
//! It is built without transparent huge pages (the `no_thp` feature): with
//! them every fresh 2 MiB of heap was zeroed in one page fault, and the
//! kernel's zeroing took a sixth of an import's CPU in a profile.

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;
