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
	char lines[8][128];
	size_t n;
};

static void collect(void *arg, const char *url, const char *parent, unsigned depth)
{
	struct seen *s = arg;

	if (s->n < 8)
		snprintf(s->lines[s->n++], 128, "%u %s %s", depth, url,
			 parent ? parent : "(seed)");
}

Test(journal, admissions_come_back_in_order_after_a_reopen)
{
	char *dir = temp_dir(), err[256];
	struct journal *j = journal_open(dir, err, sizeof(err));
	struct seen s = { 0 };

	cr_assert_not_null(j, "%s", err);
	cr_expect_eq(journal_entries(j), 0);
	journal_admit(j, "http://a.test/", NULL, 0);
	journal_admit(j, "http://a.test/x", "http://a.test/", 1);
	cr_assert_eq(journal_sync(j), 0);
	journal_close(j);

	j = journal_open(dir, err, sizeof(err));
	cr_assert_eq(journal_entries(j), 2);
	cr_assert_eq(journal_replay(j, collect, &s), 0);
	cr_assert_eq(s.n, 2);
	cr_expect_str_eq(s.lines[0], "0 http://a.test/ (seed)");
	cr_expect_str_eq(s.lines[1], "1 http://a.test/x http://a.test/");
	journal_close(j);
	free(dir);
}

Test(journal, nothing_reaches_the_file_before_flush)
{
	char *dir = temp_dir(), err[256];
	struct journal *j = journal_open(dir, err, sizeof(err));
	struct journal *again;

	journal_admit(j, "http://a.test/", NULL, 0);
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
	journal_admit(j, "http://a.test/y", "http://a.test/", 1);
	journal_flush(j);
	journal_close(j);
	j = journal_open(dir, err, sizeof(err));
	journal_replay(j, collect, &s);
	cr_assert_eq(s.n, 2);
	cr_expect_str_eq(s.lines[1], "1 http://a.test/y http://a.test/");
	journal_close(j);
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
