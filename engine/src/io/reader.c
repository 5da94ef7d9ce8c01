#include "io/reader.h"

#include <stdlib.h>

void impex_reader_close(impex_reader *r)
{
    if (!r) return;
    r->ops->close(r->impl);
    free(r);
}
