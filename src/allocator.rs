//! The process's memory allocator: mimalloc, and how long it keeps freed memory.

/// Bulk writes (demo, imports) allocate and free millions of small buffers
/// (records, index keys, redb pages): with mimalloc instead of glibc's
/// allocator the demo store of 20,000 processes is made in 9.4 s instead of 13.2 s.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// mimalloc's `mi_option_purge_delay` (position 15 of `mi_option_e` in mimalloc
/// 3's `mimalloc.h`; libmimalloc-sys names only some options). The test below
/// fails if an upgrade moves it.
const PURGE_DELAY_OPTION: libmimalloc_sys::mi_option_t = 15;

/// How long freed memory stays with the process before mimalloc returns it to
/// the system, in milliseconds.
///
/// A bulk write frees a transaction's buffers (hundreds of MB) at its end and
/// allocates as much again in the next one, seconds later. With mimalloc's
/// default of one second the memory went back to the system in between and
/// the kernel zeroed it again on the next touch: `perf` put 6–9 % of a
/// 100,000-process demo in `clear_page_erms`, and the 30,000-process demo took
/// 10–15 % longer. Ten seconds bridges a transaction and still gives the memory
/// back once a bulk write is over.
const PURGE_DELAY_MS: std::ffi::c_long = 10_000;

/// Sets the allocator's options. Call it first thing in `main`, before any
/// other thread runs: mimalloc's option setter is not thread-safe.
pub fn configure() {
    // SAFETY: `mi_option_set` writes one option value; `configure` is called
    // before other threads start, so nothing reads the option concurrently.
    unsafe { libmimalloc_sys::mi_option_set(PURGE_DELAY_OPTION, PURGE_DELAY_MS) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_purge_delay_option_is_where_mimalloc_3_has_it() {
        // SAFETY: reads two option values.
        let (delay, os_tag) = unsafe {
            (
                libmimalloc_sys::mi_option_get(PURGE_DELAY_OPTION),
                libmimalloc_sys::mi_option_get(libmimalloc_sys::mi_option_os_tag),
            )
        };
        // mimalloc 3's defaults: purge_delay 1000 ms (ours once `configure`
        // ran), and three places on os_tag, which libmimalloc-sys names, 100.
        assert!(delay == 1000 || delay == PURGE_DELAY_MS, "{delay}");
        assert_eq!(PURGE_DELAY_OPTION + 3, libmimalloc_sys::mi_option_os_tag);
        assert_eq!(os_tag, 100);
    }
}
