/* Tests for regex_check: the expressions glibc's regcomp cannot afford are
 * refused with a reason, and ordinary URL filters pass. */
#include "regex_check.h"

#include <criterion/criterion.h>
#include <regex.h>
#include <string.h>

static void expect_pass(const char *re)
{
	char why[200] = "";
	regex_t compiled;

	cr_expect_eq(regex_check(re, why, sizeof(why)), REGEX_OK, "'%s' refused: %s",
		     re, why);
	/* Whatever passes must also be something regcomp compiles (or
	 * rejects) at once; this runs it to be sure it returns. */
	if (!regcomp(&compiled, re, REG_EXTENDED | REG_NOSUB))
		regfree(&compiled);
}

static void expect_refused(const char *re, const char *reason)
{
	char why[200] = "";

	cr_expect_neq(regex_check(re, why, sizeof(why)), REGEX_OK, "'%s' passed", re);
	cr_expect(strstr(why, reason) != NULL, "'%s': reason \"%s\", want \"%s\"",
		  re, why, reason);
}

Test(regex_check, ordinary_url_filters_pass)
{
	static const char *const ok[] = {
		"^https?://example\\.com/", "/(blog|news)/[0-9]{4}/",
		"\\.(jpe?g|png|gif)$", "[?&]session=", "^[^?]*$",
		"(/[a-z]+){2,5}/?$", "[[:digit:]]{1,3}(\\.[0-9]{1,3}){3}",
		"[]a]+", "[^]]*x", "a{,3}b", "(a*)*", "(a|)*", "a{2}(b{5}c){5}",
		"x{1000}", "", "a|", "()", "(a*)?", "(a*){5}",
	};

	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++)
		expect_pass(ok[i]);
}

Test(regex_check, stacked_repetitions_are_refused)
{
	expect_refused("^h**++++n", "right after another");
	expect_refused("a**", "right after another");
	expect_refused("a+?", "right after another");
	expect_refused("a{2}*", "right after another");
	expect_refused("(ab)*{3}", "right after another");
}

Test(regex_check, plus_on_what_can_match_nothing_is_refused)
{
	expect_refused("^(h*)+n", "can match nothing");
	expect_refused("^((((((h*)+)+)+)+)+)+n", "can match nothing");
	expect_refused("(a?b*){1,}", "can match nothing");
	expect_refused("(x|)+", "can match nothing");
	expect_refused("(^)+", "can match nothing");
	/* Not nullable: fine. */
	expect_pass("(a*b)+");
	expect_pass("(h+)+");
}

Test(regex_check, deep_nests_of_repetition_are_refused)
{
	expect_refused("^(((h*){30}){30}){30}n", "over 1000 copies");
	expect_refused("(a{100}){100}", "over 1000 copies");
	expect_refused("(((((((((((a+)+)+)+)+)+)+)+)+)+)+)", "over 1000 copies");
	expect_pass("((a{10}){10}){10}");
}

Test(regex_check, brackets_and_escapes_hide_their_specials)
{
	expect_pass("[*+?{]+");
	expect_pass("\\*\\*\\+");
	expect_pass("[[:alpha:]*]+");
	expect_pass("a\\{2\\}*");
}

Test(regex_check, groups_nested_too_deep_are_refused)
{
	char re[512];

	memset(re, '(', 150);
	re[150] = 'a';
	memset(re + 151, ')', 150);
	re[301] = '\0';
	expect_refused(re, "over 100 deep");
}
