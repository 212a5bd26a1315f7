/* header_fold: the column-counting cursor behind the fields we fold ourselves (dkim_signature,
 * authentication_results). Where to fold is theirs; this only writes and counts. */
#include "mailauth/header_fold.h"

struct header_fold header_fold_start(struct buffer *out)
{
	return (struct header_fold){.out = out, .column = 0, .ok = true};
}

void header_fold_put(struct header_fold *fold, const char *text, size_t length)
{
	fold->ok = fold->ok && buffer_append(fold->out, text, length);
	fold->column += length;
}

void header_fold_new_line(struct header_fold *fold)
{
	header_fold_put(fold, "\r\n\t", 3);
	fold->column = HEADER_FOLD_TAB_COLUMNS;
}
