/* fuzz: what every fuzz target and the replay driver share.
 *
 * Each tests/fuzz/<name>_fuzz.c defines LLVMFuzzerTestOneInput. Linked with
 * -fsanitize=fuzzer it is a libFuzzer binary (make fuzz); linked with
 * replay.c it is a plain program that feeds it the files of a corpus (make
 * fuzz-replay). A violated invariant ends the run with FUZZ_CHECK, which
 * traps, so libFuzzer saves the input and the replay dies loudly. */
#ifndef CRAWLER_FUZZ_H
#define CRAWLER_FUZZ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Say which invariant broke, then trap (libFuzzer keeps the input in a
 * crash-* file; the replay names the file it was reading). */
#define FUZZ_CHECK(cond)                                                  \
	do {                                                              \
		if (!(cond)) {                                            \
			fprintf(stderr, "%s:%d: invariant failed: %s\n",  \
				__FILE__, __LINE__, #cond);               \
			__builtin_trap();                                 \
		}                                                         \
	} while (0)

/* Whether the n bytes at s are UTF-8 by RFC 3629 (no overlong forms, no
 * surrogates, nothing past U+10FFFF) with no NUL. Written out here rather
 * than borrowed from the code under test, which has its own. */
static inline bool fuzz_valid_utf8(const char *str, size_t n)
{
	const unsigned char *s = (const unsigned char *)str, *end = s + n;

	while (s < end) {
		unsigned char lo = 0x80, hi = 0xBF;
		size_t len;

		if (*s < 0x80) {
			if (!*s++)
				return false;
			continue;
		}
		if (*s >= 0xC2 && *s <= 0xDF)
			len = 2;
		else if (*s >= 0xE0 && *s <= 0xEF)
			len = 3;
		else if (*s >= 0xF0 && *s <= 0xF4)
			len = 4;
		else
			return false;
		if ((size_t)(end - s) < len)
			return false;
		if (*s == 0xE0)
			lo = 0xA0;
		else if (*s == 0xED)
			hi = 0x9F;
		else if (*s == 0xF0)
			lo = 0x90;
		else if (*s == 0xF4)
			hi = 0x8F;
		if (s[1] < lo || s[1] > hi)
			return false;
		for (size_t i = 2; i < len; i++)
			if (s[i] < 0x80 || s[i] > 0xBF)
				return false;
		s += len;
	}
	return true;
}

#endif
