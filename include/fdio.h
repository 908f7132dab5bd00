/* fdio: all of a buffer to a descriptor, for the writers of files
 * (warc.c, collector.c). */
#ifndef CRAWLER_FDIO_H
#define CRAWLER_FDIO_H

#include <stddef.h>

/* Write all n bytes of p to fd, again after EINTR and short writes; 0, or
 * the errno of the write that failed (EIO for one that wrote nothing). */
int fdio_write_all(int fd, const char *p, size_t n);

#endif
