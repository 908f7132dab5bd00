/* replay: run a fuzz target over saved inputs, without libFuzzer.
 *
 * Linked with one tests/fuzz/<name>_fuzz.c and libcrawler.a by any compiler
 * (no -fsanitize=fuzzer needed; ASan is welcome), it calls
 * LLVMFuzzerTestOneInput once per file named on the command line, or per
 * file directly inside each directory named, in name order, so a corpus
 * and the crashes kept in tests/fuzz/regressions/ become a regression test.
 * Each input gets a malloc'd buffer of exactly its size, so that ASan sees
 * a read past its end. A broken invariant traps, and a crash names the
 * input it happened on; a missing or unreadable path is an error. Prints "<name>: N inputs replayed", name being the
 * program's, less its "fuzz-replay-" prefix. */
#include "fuzz.h"

#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#ifdef __has_feature
#if __has_feature(address_sanitizer)
#define REPLAY_ASAN 1
#endif
#elif defined(__SANITIZE_ADDRESS__)
#define REPLAY_ASAN 1
#endif
#ifdef REPLAY_ASAN
#include <sanitizer/common_interface_defs.h>
#endif

#define PREFIX "fuzz-replay-"

/* The input being replayed, for the last words of a crash. */
static const char *current;

static void say_current(void)
{
	static const char head[] = "replay: crashed on ";

	if (!current)
		return;
	(void)!write(STDERR_FILENO, head, sizeof(head) - 1);
	(void)!write(STDERR_FILENO, current, strlen(current));
	(void)!write(STDERR_FILENO, "\n", 1);
}

/* SIGILL is a FUZZ_CHECK trap, SIGABRT an abort: name the input, then die
 * of the same signal (SA_RESETHAND put the default action back). */
static void on_crash(int sig)
{
	say_current();
	raise(sig);
}

static void catch_crashes(void)
{
	struct sigaction sa = { .sa_handler = on_crash,
				.sa_flags = SA_RESETHAND | SA_NODEFER };

	sigemptyset(&sa.sa_mask);
	sigaction(SIGILL, &sa, NULL);
	sigaction(SIGABRT, &sa, NULL);
#ifdef REPLAY_ASAN
	/* Sanitizer reports end in _exit, not in a signal. */
	__sanitizer_set_death_callback(say_current);
#endif
}

static const char *target_name(const char *argv0)
{
	const char *slash = strrchr(argv0, '/');
	const char *name = slash ? slash + 1 : argv0;

	if (!strncmp(name, PREFIX, strlen(PREFIX)) && name[strlen(PREFIX)])
		name += strlen(PREFIX);
	return name;
}

/* The whole file into a malloc'd buffer of exactly its size, so that ASan
 * catches a read past the input (1 byte for an empty file: libFuzzer never
 * passes NULL). */
static int read_file(const char *path, uint8_t **data, size_t *size)
{
	FILE *f = fopen(path, "rb");
	struct stat st;
	uint8_t *buf;
	size_t n;

	if (!f)
		return -1;
	if (fstat(fileno(f), &st) || st.st_size < 0) {
		fclose(f);
		return -1;
	}
	n = (size_t)st.st_size;
	buf = malloc(n ? n : 1);
	if (!buf || fread(buf, 1, n, f) != n) {
		free(buf);
		fclose(f);
		return -1;
	}
	fclose(f);
	*data = buf;
	*size = n;
	return 0;
}

static int replay_file(const char *path)
{
	uint8_t *data;
	size_t size;

	errno = 0;
	if (read_file(path, &data, &size)) {
		fprintf(stderr, "replay: cannot read '%s': %s\n", path,
			strerror(errno ? errno : EIO));
		return -1;
	}
	current = path;
	LLVMFuzzerTestOneInput(data, size);
	current = NULL;
	free(data);
	return 0;
}

static int by_name(const struct dirent **a, const struct dirent **b)
{
	return strcmp((*a)->d_name, (*b)->d_name);
}

static int skip_dots(const struct dirent *d)
{
	return d->d_name[0] != '.';
}

/* Every regular file directly in dir; *count grows by how many. */
static int replay_dir(const char *dir, size_t *count)
{
	struct dirent **names;
	int n = scandir(dir, &names, skip_dots, by_name), rc = 0;

	if (n < 0) {
		fprintf(stderr, "replay: cannot list '%s': %s\n", dir,
			strerror(errno));
		return -1;
	}
	for (int i = 0; i < n; i++) {
		size_t len = strlen(dir) + strlen(names[i]->d_name) + 2;
		char *path = malloc(len);
		struct stat st;

		if (!path) {
			rc = -1;
		} else {
			snprintf(path, len, "%s/%s", dir, names[i]->d_name);
			if (!stat(path, &st) && S_ISREG(st.st_mode)) {
				if (replay_file(path))
					rc = -1;
				else
					++*count;
			}
		}
		free(path);
		free(names[i]);
	}
	free(names);
	return rc;
}

int main(int argc, char **argv)
{
	const char *name = target_name(argv[0]);
	size_t count = 0;
	int rc = 0;

	if (argc < 2) {
		fprintf(stderr, "usage: %s DIR|FILE...\n", argv[0]);
		return 2;
	}
	catch_crashes();
	for (int i = 1; i < argc; i++) {
		struct stat st;

		if (stat(argv[i], &st)) {
			fprintf(stderr, "replay: '%s': %s\n", argv[i],
				strerror(errno));
			rc = 1;
		} else if (S_ISDIR(st.st_mode)) {
			if (replay_dir(argv[i], &count))
				rc = 1;
		} else if (replay_file(argv[i])) {
			rc = 1;
		} else {
			count++;
		}
	}
	printf("%s: %zu inputs replayed\n", name, count);
	return rc;
}
