// link: src/http/http_date.c
/* libFuzzer driver for http_date_parse and http_date_format.
 *
 *   clang -g -O1 -fsanitize=fuzzer,address,undefined -Isrc \
 *       -o fuzz_http_date fuzz/fuzz_http_date.c src/http/http_date.c && ./fuzz_http_date
 *
 * Any input: no read past size. A date that parses formats to an
 * IMF-fixdate that parses back to the same time. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "http/http_date.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    time_t t = http_date_parse((const char *)data, size);
    if (t == (time_t)-1)
        return 0;

    char out[HTTP_DATE_LEN + 1];
    http_date_format(t, out);
    if (strlen(out) != HTTP_DATE_LEN || http_date_parse(out, HTTP_DATE_LEN) != t)
        abort();
    return 0;
}
