//! The process's memory allocator: mimalloc, and how long it keeps freed memory.

/// Bulk writes (demo, imports) allocate and free millions of small buffers
/// (records, index keys, redb pages): with mimalloc instead of glibc's
/// allocator the demo store of 20,000 processes is made in 9.4 s instead of 13.2 s.
///
/// It is mimalloc 2.3 (libmimalloc-sys's `v2` feature) rather than 3.3: bare
/// 100,000-process demos taken in turn took 8.92 s against 9.41 s on average
/// (23 pairs), and in `bench_core` the plain inserts gained too (the event
/// records alone 1.48 s against 1.53–1.58 s).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// mimalloc's `mi_option_purge_delay` and `mi_option_arena_purge_mult`
/// (positions 15 and 24 of `mi_option_e` in mimalloc 2.3's and 3.3's
/// `mimalloc.h`; libmimalloc-sys names only some options). The test below
/// fails if an upgrade moves them.
const PURGE_DELAY_OPTION: libmimalloc_sys::mi_option_t = 15;
const ARENA_PURGE_MULT_OPTION: libmimalloc_sys::mi_option_t = 24;

/// How long freed memory stays with the process before mimalloc returns it to
/// the system, in milliseconds.
///
/// A bulk write frees a transaction's buffers (hundreds of MB) at its end and
/// allocates as much again in the next one, seconds later. With mimalloc 3's
/// default of one second the memory went back to the system in between and
/// the kernel zeroed it again on the next touch: `perf` put 6–9 % of a
/// 100,000-process demo in `clear_page_erms`, and the 30,000-process demo took
/// 10–15 % longer. Ten seconds bridges a transaction and still gives the memory
/// back once a bulk write is over. mimalloc 2 waits ten times longer for
/// memory of its arenas than for the rest; a multiplier of one makes it ten
/// seconds for all.
const PURGE_DELAY_MS: std::ffi::c_long = 10_000;

/// Sets the allocator's options. Call it first thing in `main`, before any
/// other thread runs: mimalloc's option setter is not thread-safe.
pub fn configure() {
    // SAFETY: `mi_option_set` writes an option value; `configure` is called
    // before other threads start, so nothing reads the options concurrently.
    unsafe {
        libmimalloc_sys::mi_option_set(PURGE_DELAY_OPTION, PURGE_DELAY_MS);
        libmimalloc_sys::mi_option_set(ARENA_PURGE_MULT_OPTION, 1);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_purge_options_are_where_mimalloc_2_has_them() {
        // SAFETY: reads option values.
        let (delay, mult, os_tag, arena_reserve) = unsafe {
            (
                libmimalloc_sys::mi_option_get(PURGE_DELAY_OPTION),
                libmimalloc_sys::mi_option_get(ARENA_PURGE_MULT_OPTION),
                libmimalloc_sys::mi_option_get(libmimalloc_sys::mi_option_os_tag),
                libmimalloc_sys::mi_option_get(ARENA_PURGE_MULT_OPTION - 1),
            )
        };
        // mimalloc 2's defaults (ours once `configure` ran): purge_delay
        // 10 ms, arena_purge_mult 10; three places after the delay os_tag,
        // which libmimalloc-sys names, 100; the arena reserve before the
        // multiplier 1 GiB (in KiB).
        assert!(delay == 10 || delay == PURGE_DELAY_MS, "{delay}");
        assert!(mult == 10 || mult == 1, "{mult}");
        assert_eq!(PURGE_DELAY_OPTION + 3, libmimalloc_sys::mi_option_os_tag);
        assert_eq!(os_tag, 100);
        assert_eq!(arena_reserve, 1024 * 1024);
    }
}
