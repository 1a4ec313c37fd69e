/* LD_PRELOAD shim: counts heap allocations (calls and requested bytes) so
 * that `bench allocs` can report them per cancel. glibc's __libc_* entry
 * points do the work, which avoids dlsym and its own allocations. */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>

void *__libc_malloc(size_t);
void *__libc_calloc(size_t, size_t);
void *__libc_realloc(void *, size_t);
void *__libc_memalign(size_t, size_t);

static uint64_t n_calls, n_bytes;

static void count(size_t bytes) {
    __atomic_fetch_add(&n_calls, 1, __ATOMIC_RELAXED);
    __atomic_fetch_add(&n_bytes, bytes, __ATOMIC_RELAXED);
}

void *malloc(size_t n) {
    count(n);
    return __libc_malloc(n);
}

void *calloc(size_t m, size_t n) {
    count(m * n);
    return __libc_calloc(m, n);
}

void *realloc(void *p, size_t n) {
    count(n);
    return __libc_realloc(p, n);
}

/* Rust's allocator asks for alignments above 16 through posix_memalign. */
int posix_memalign(void **out, size_t align, size_t n) {
    count(n);
    void *p = __libc_memalign(align, n);
    if (!p)
        return ENOMEM;
    *out = p;
    return 0;
}

void *aligned_alloc(size_t align, size_t n) {
    count(n);
    return __libc_memalign(align, n);
}

void *memalign(size_t align, size_t n) {
    count(n);
    return __libc_memalign(align, n);
}

void bench_malloc_counts(uint64_t *calls, uint64_t *bytes) {
    *calls = __atomic_load_n(&n_calls, __ATOMIC_RELAXED);
    *bytes = __atomic_load_n(&n_bytes, __ATOMIC_RELAXED);
}
