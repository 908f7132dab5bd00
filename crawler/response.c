/* response: the one struct a transfer fills in (see response.h). */
#include "response.h"

#include <stdlib.h>

void response_free(struct response *r)
{
	if (!r)
		return;
	free(r->content_type);
	free(r->location);
	free(r->headers);
	free(r->body);
	free(r->request);
	free(r->raw);
	free(r->final_url);
	free(r->err_msg);
	free(r);
}
