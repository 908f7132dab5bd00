/* journal and resume: the two halves of --state. What was admitted comes
 * back in order after a reopen, a torn last line (a kill mid-write) is cut,
 * and the output's records are found again. */
#include <criterion/criterion.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "journal.h"
#include "resume.h"
#include "visited.h"

static char *temp_dir(void)
{
	char *dir = strdup("/tmp/crawler-journal-XXXXXX");

	cr_assert_not_null(mkdtemp(dir));
	return dir;
}

static void append_raw(const char *dir, const char *name, const char *text)
{
	char path[256];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "a");
	cr_assert_not_null(f);
	fputs(text, f);
	fclose(f);
}

struct seen {
	char lines[8][160];
	size_t n;
};

/* Each entry as "depth url parent flags lastmod", (seed), (no flags) and
 * (none) standing for what is absent. */
static void collect(void *arg, const struct journal_entry *e)
{
	struct seen *s = arg;
	char flags[16] = "(no flags)";

	if (e->has_flags)
		snprintf(flags, sizeof(flags), "%u", e->flags);
	if (s->n < 8)
		snprintf(s->lines[s->n++], 160, "%u %s %s %s %s", e->depth, e->url,
			 e->parent ? e->parent : "(seed)", flags,
			 e->lastmod ? e->lastmod : "(none)");
}

static void admit(struct journal *j, const char *url, const char *parent,
		  unsigned depth)
{
	struct journal_entry e = { .url = url, .parent = parent, .depth = depth };

	cr_assert_eq(journal_admit(j, &e), 0);
}

/* What the journal in dir replays. */
static void replay_all(const char *dir, struct seen *s)
{
	char err[256];
	struct journal *j = journal_open(dir, err, sizeof(err));

	cr_assert_not_null(j, "%s", err);
	memset(s, 0, sizeof(*s));
	cr_assert_eq(journal_replay(j, collect, s), 0);
	journal_close(j);
}

Test(journal, admissions_come_back_in_order_after_a_reopen)
{
	char *dir = temp_dir(), err[256];
	struct journal *j = journal_open(dir, err, sizeof(err));
	struct seen s = { 0 };

	cr_assert_not_null(j, "%s", err);
	cr_expect_eq(journal_entries(j), 0);
	admit(j, "http://a.test/", NULL, 0);
	admit(j, "http://a.test/x", "http://a.test/", 1);
	cr_assert_eq(journal_sync(j), 0);
	journal_close(j);

	j = journal_open(dir, err, sizeof(err));
	cr_assert_eq(journal_entries(j), 2);
	cr_assert_eq(journal_replay(j, collect, &s), 0);
	cr_assert_eq(s.n, 2);
	cr_expect_str_eq(s.lines[0], "0 http://a.test/ (seed) 0 (none)");
	cr_expect_str_eq(s.lines[1], "1 http://a.test/x http://a.test/ 0 (none)");
	journal_close(j);
	free(dir);
}

Test(journal, nothing_reaches_the_file_before_flush)
{
	char *dir = temp_dir(), err[256];
	struct journal *j = journal_open(dir, err, sizeof(err));
	struct journal *again;

	admit(j, "http://a.test/", NULL, 0);
	again = journal_open(dir, err, sizeof(err));
	cr_expect_eq(journal_entries(again), 0);
	journal_close(again);
	journal_flush(j);
	again = journal_open(dir, err, sizeof(err));
	cr_expect_eq(journal_entries(again), 1);
	journal_close(again);
	journal_close(j);
	free(dir);
}

Test(journal, a_torn_last_line_is_cut_and_the_log_goes_on)
{
	char *dir = temp_dir(), err[256];
	struct journal *j;
	struct seen s = { 0 };

	append_raw(dir, "journal", "0\thttp://a.test/\t-\n1\thttp://a.te");
	j = journal_open(dir, err, sizeof(err));
	cr_assert_not_null(j, "%s", err);
	cr_expect_eq(journal_entries(j), 1);
	admit(j, "http://a.test/y", "http://a.test/", 1);
	journal_flush(j);
	journal_close(j);
	j = journal_open(dir, err, sizeof(err));
	journal_replay(j, collect, &s);
	cr_assert_eq(s.n, 2);
	cr_expect_str_eq(s.lines[1], "1 http://a.test/y http://a.test/ 0 (none)");
	journal_close(j);
	free(dir);
}

Test(journal, flags_and_lastmod_come_back_with_their_entry)
{
	char *dir = temp_dir(), err[256];
	struct journal *j = journal_open(dir, err, sizeof(err));
	struct journal_entry sitemap = { .url = "http://a.test/sitemap.xml",
					 .parent = "http://a.test/robots.txt",
					 .flags = 0x32, .has_flags = true };
	struct journal_entry page = { .url = "http://a.test/p", .parent = sitemap.url,
				      .depth = 1, .flags = 0x30,
				      .lastmod = "2026-12-01T10:00:00+00:00" };
	struct seen s;

	cr_assert_not_null(j, "%s", err);
	cr_assert_eq(journal_admit(j, &sitemap), 0);
	cr_assert_eq(journal_admit(j, &page), 0);
	cr_assert_eq(journal_sync(j), 0);
	journal_close(j);
	replay_all(dir, &s);
	cr_assert_eq(s.n, 2);
	cr_expect_str_eq(s.lines[0], "0 http://a.test/sitemap.xml "
				     "http://a.test/robots.txt 50 (none)");
	cr_expect_str_eq(s.lines[1], "1 http://a.test/p http://a.test/sitemap.xml "
				     "48 2026-12-01T10:00:00+00:00");
	free(dir);
}

Test(journal, a_lastmod_with_tabs_newlines_and_backslashes_comes_back_whole)
{
	char *dir = temp_dir(), err[256];
	struct journal *j = journal_open(dir, err, sizeof(err));
	struct journal_entry e = { .url = "http://a.test/p", .flags = 1,
				   .lastmod = "a\tb\nc\r\\d\\" };
	struct seen s;

	cr_assert_eq(journal_admit(j, &e), 0);
	cr_assert_eq(journal_flush(j), 0);
	journal_close(j);
	replay_all(dir, &s);
	cr_assert_eq(s.n, 1, "one line, the newline escaped");
	cr_expect_str_eq(s.lines[0], "0 http://a.test/p (seed) 1 a\tb\nc\r\\d\\");
	free(dir);
}

Test(journal, an_old_journal_of_three_fields_replays_without_flags)
{
	char *dir = temp_dir();
	struct seen s;

	append_raw(dir, "journal", "0\thttp://a.test/\t-\n"
				   "1\thttp://a.test/x\thttp://a.test/\n");
	replay_all(dir, &s);
	cr_assert_eq(s.n, 2);
	cr_expect_str_eq(s.lines[0], "0 http://a.test/ (seed) (no flags) (none)");
	cr_expect_str_eq(s.lines[1], "1 http://a.test/x http://a.test/ (no flags) (none)");
	free(dir);
}

Test(journal, an_old_journal_goes_on_in_the_new_format)
{
	char *dir = temp_dir(), err[256];
	struct journal *j;
	struct journal_entry e = { .url = "http://a.test/r", .parent = "http://a.test/",
				   .depth = 1, .flags = 1, .has_flags = true };
	struct seen s;

	append_raw(dir, "journal", "0\thttp://a.test/\t-\n");
	j = journal_open(dir, err, sizeof(err));
	cr_assert_eq(journal_admit(j, &e), 0);
	cr_assert_eq(journal_flush(j), 0);
	journal_close(j);
	replay_all(dir, &s);
	cr_assert_eq(s.n, 2);
	cr_expect_str_eq(s.lines[0], "0 http://a.test/ (seed) (no flags) (none)");
	cr_expect_str_eq(s.lines[1], "1 http://a.test/r http://a.test/ 1 (none)");
	free(dir);
}

Test(journal, lines_of_neither_format_are_skipped)
{
	char *dir = temp_dir();
	struct seen s;

	append_raw(dir, "journal",
		   "0\thttp://a.test/1\t-\tx\n"           /* flags not a number */
		   "0\thttp://a.test/2\t-\t-1\n"          /* nor this */
		   "0\thttp://a.test/3\t-\t99999999999\n" /* nor an unsigned */
		   "0\thttp://a.test/4\t-\t1\tbad\\q\n"   /* an unknown escape */
		   "0\thttp://a.test/5\t-\t1\tm\\\n"      /* a lone backslash */
		   "0\thttp://a.test/6\t-\t1\tm\textra\n"  /* a sixth field */
		   "x\thttp://a.test/7\t-\t1\n"           /* depth not a number */
		   "0\thttp://a.test/8\n"                 /* no parent */
		   "0\t\t-\t1\n"                         /* no URL */
		   "2\thttp://a.test/ok\t-\t4\t\n");     /* an empty lastmod is one */
	replay_all(dir, &s);
	cr_assert_eq(s.n, 1, "%zu lines replayed", s.n);
	cr_expect_str_eq(s.lines[0], "2 http://a.test/ok (seed) 4 ");
	free(dir);
}

Test(journal, a_directory_that_cannot_be_made_is_an_error_naming_it)
{
	char err[256];

	cr_expect_null(journal_open("/proc/no/such/dir", err, sizeof(err)));
	cr_expect(strstr(err, "/proc/no/such/dir"), "%s", err);
}

Test(resume, records_are_found_and_a_torn_line_is_cut)
{
	char *dir = temp_dir(), path[256];
	struct visited *v = visited_memory_new();
	char err[256] = "";
	size_t records = 0;
	int fd;

	snprintf(path, sizeof(path), "%s/out.jsonl", dir);
	fd = open(path, O_RDWR | O_CREAT | O_APPEND, 0644);
	cr_assert(fd >= 0);
	static const char text[] = "{\"url\":\"http://a.test/\"}\n"
				   "{\"url\":\"http://a.test/b\"}\n"
				   "{\"url\":\"http://a.te";

	cr_assert(write(fd, text, strlen(text)) == (ssize_t)strlen(text));
	cr_expect_eq(resume_scan_output(fd, v, &records, err, sizeof(err)),
		     RESUME_OK, "%s", err);
	cr_expect_eq(records, 2);
	cr_expect(visited_has(v, "http://a.test/"));
	cr_expect(visited_has(v, "http://a.test/b"));
	cr_expect_not(visited_has(v, "http://a.te"));
	cr_expect_eq(lseek(fd, 0, SEEK_END), (off_t)(strchr(strchr(text, '\n') + 1, '\n') + 1 - text),
		     "the torn line is gone");
	close(fd);
	visited_free(v);
	free(dir);
}
