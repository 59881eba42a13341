/* An LD_PRELOAD shim for the allocation-failure pass (tests/alloc/run), test-only: it
 * wraps malloc, calloc, realloc, posix_memalign and aligned_alloc, names each allocation
 * site by a hash of its call stack (the process runs with ASLR off, so the addresses, and
 * the hash, are the same in every run), and either lists the sites or fails one of them.
 *   CS_ALLOC_SITES=FILE  at exit, append every site seen: "hash count frames..."
 *   CS_ALLOC_FAIL=HASH   the first allocation from site HASH returns NULL (errno ENOMEM),
 *                        and "failed HASH" is appended to CS_ALLOC_SITES (if set)
 * Only sites with a frame in the main program count: what libraries allocate for
 * themselves before main or behind our back is not classy-sync's to handle. It must never
 * allocate through the functions it wraps (a thread-local guard passes those through). */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <execinfo.h>
#include <link.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define DEPTH 8      /* frames that name a site */
#define SKIP 2       /* this file's own frames */
#define MAX_SITES 16384

typedef struct site {
	uint64_t hash;
	unsigned long count;
	void *frames[DEPTH];
	int nframes;
} site;

static void *(*real_malloc)(size_t);
static void *(*real_calloc)(size_t, size_t);
static void *(*real_realloc)(void *, size_t);
static int (*real_posix_memalign)(void **, size_t, size_t);
static void *(*real_aligned_alloc)(size_t, size_t);

static __thread int busy; /* inside the shim: allocations pass straight through */
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static site *sites;           /* open addressing on hash */
static uintptr_t exe_lo, exe_hi; /* the main program's code */
static uint64_t fail_hash;
static int failed, ready;
static const char *out_path;

/* dlsym may allocate (calloc) before the real functions are known: a static pool. */
static char boot[8192];
static size_t boot_used;

static void *boot_alloc(size_t n)
{
	n = (n + 15) & ~(size_t)15;
	if (boot_used + n > sizeof(boot))
		return NULL;
	void *p = boot + boot_used;
	boot_used += n;
	return p;
}

static int is_boot(const void *p)
{
	return (const char *)p >= boot && (const char *)p < boot + sizeof(boot);
}

static int exe_range(struct dl_phdr_info *info, size_t size, void *arg)
{
	(void)size;
	(void)arg;
	/* the first object is the main program */
	for (int i = 0; i < info->dlpi_phnum; i++) {
		const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
		if (ph->p_type == PT_LOAD && (ph->p_flags & PF_X)) {
			exe_lo = info->dlpi_addr + ph->p_vaddr;
			exe_hi = exe_lo + ph->p_memsz;
		}
	}
	return 1;
}

static void init(void)
{
	if (ready)
		return;
	busy++;
	real_malloc = dlsym(RTLD_NEXT, "malloc");
	real_calloc = dlsym(RTLD_NEXT, "calloc");
	real_realloc = dlsym(RTLD_NEXT, "realloc");
	real_posix_memalign = dlsym(RTLD_NEXT, "posix_memalign");
	real_aligned_alloc = dlsym(RTLD_NEXT, "aligned_alloc");
	const char *f = getenv("CS_ALLOC_FAIL");
	fail_hash = f ? strtoull(f, NULL, 16) : 0;
	out_path = getenv("CS_ALLOC_SITES");
	dl_iterate_phdr(exe_range, NULL);
	sites = real_calloc(MAX_SITES, sizeof(*sites));
	void *warm[2];
	backtrace(warm, 2); /* loads libgcc's unwinder now, not inside an allocation */
	ready = 1;
	busy--;
}

/* Whether this allocation should fail; records its site. */
static int should_fail(void)
{
	if (busy || !ready || !sites)
		return 0;
	busy++;
	void *frames[DEPTH + SKIP];
	int n = backtrace(frames, DEPTH + SKIP);
	int ours = 0;
	uint64_t h = 1469598103934665603ULL;
	for (int i = SKIP; i < n; i++) {
		uintptr_t a = (uintptr_t)frames[i];
		ours |= a >= exe_lo && a < exe_hi;
		h = (h ^ a) * 1099511628211ULL;
	}
	int fail = 0;
	if (ours) {
		pthread_mutex_lock(&lock);
		size_t k = (size_t)(h % MAX_SITES);
		for (size_t probe = 0; probe < MAX_SITES; probe++, k = (k + 1) % MAX_SITES) {
			site *s = &sites[k];
			if (s->hash == h || s->hash == 0) {
				if (s->hash == 0) {
					s->hash = h;
					s->nframes = n - SKIP;
					memcpy(s->frames, frames + SKIP, (size_t)s->nframes * sizeof(void *));
				}
				s->count++;
				break;
			}
		}
		if (h == fail_hash && !failed)
			fail = failed = 1;
		pthread_mutex_unlock(&lock);
	}
	busy--;
	return fail;
}

void *malloc(size_t n)
{
	if (!real_malloc) {
		if (busy)
			return boot_alloc(n);
		init();
	}
	if (should_fail()) {
		errno = ENOMEM;
		return NULL;
	}
	return real_malloc(n);
}

void *calloc(size_t n, size_t m)
{
	if (!real_calloc) {
		if (busy) /* dlsym's own calloc: zeroed by being static */
			return boot_alloc(n * m);
		init();
	}
	if (should_fail()) {
		errno = ENOMEM;
		return NULL;
	}
	return real_calloc(n, m);
}

void *realloc(void *p, size_t n)
{
	if (!real_realloc)
		init();
	if (is_boot(p)) { /* never freed or grown in practice; copy out to be safe */
		void *q = real_malloc(n);
		if (q)
			memcpy(q, p, n);
		return q;
	}
	if (n && should_fail()) {
		errno = ENOMEM;
		return NULL;
	}
	return real_realloc(p, n);
}

int posix_memalign(void **out, size_t align, size_t n)
{
	if (!real_posix_memalign)
		init();
	if (should_fail())
		return ENOMEM;
	return real_posix_memalign(out, align, n);
}

void *aligned_alloc(size_t align, size_t n)
{
	if (!real_aligned_alloc)
		init();
	if (should_fail()) {
		errno = ENOMEM;
		return NULL;
	}
	return real_aligned_alloc(align, n);
}

void free(void *p)
{
	static void (*real_free)(void *);
	if (!p || is_boot(p))
		return;
	if (!real_free) {
		busy++;
		real_free = dlsym(RTLD_NEXT, "free");
		busy--;
	}
	real_free(p);
}

__attribute__((destructor)) static void report(void)
{
	if (!out_path || !sites)
		return;
	busy++;
	FILE *f = fopen(out_path, "a");
	if (f) {
		if (failed)
			fprintf(f, "failed %016llx\n", (unsigned long long)fail_hash);
		for (size_t i = 0; i < MAX_SITES; i++) {
			const site *s = &sites[i];
			if (!s->hash)
				continue;
			fprintf(f, "site %016llx %lu", (unsigned long long)s->hash, s->count);
			for (int k = 0; k < s->nframes; k++) {
				Dl_info di;
				uintptr_t a = (uintptr_t)s->frames[k];
				/* module-relative, so addr2line can name the line */
				if (dladdr(s->frames[k], &di) && di.dli_fname)
					fprintf(f, " %s+0x%lx", strrchr(di.dli_fname, '/') ?
						strrchr(di.dli_fname, '/') + 1 : di.dli_fname,
						(unsigned long)(a - (uintptr_t)di.dli_fbase));
			}
			fputc('\n', f);
		}
		fclose(f);
	}
	busy--;
}
