/* utf8: see utf8.h. */
#include "utf8.h"

size_t utf8_char(const unsigned char *s, size_t n, bool *ok)
{
	unsigned char lo = 0x80, hi = 0xBF;
	size_t len, i;

	*ok = s[0] >= 0x01 && s[0] <= 0x7F;
	if (s[0] < 0xC2 || s[0] > 0xF4)
		return 1;
	len = s[0] >= 0xF0 ? 4 : s[0] >= 0xE0 ? 3 : 2;
	/* Overlongs and surrogates show up in the second byte's range. */
	if (s[0] == 0xE0)
		lo = 0xA0;
	else if (s[0] == 0xED)
		hi = 0x9F;
	else if (s[0] == 0xF0)
		lo = 0x90;
	else if (s[0] == 0xF4)
		hi = 0x8F;
	for (i = 1; i < len && i < n; i++) {
		if (s[i] < lo || s[i] > hi)
			return i;
		lo = 0x80;
		hi = 0xBF;
	}
	*ok = i == len;
	return i;
}
