/* SPDX-License-Identifier: MIT */
/* DNS SRV answers and the resolver child's output, with the properties each result must have:
 * records ordered by priority then weight, NUL-terminated targets; endpoints numeric with a
 * port. Both parsers see every input. */
#include <arpa/inet.h>

#include "resolve.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_srv(const uint8_t *data, size_t size)
{
        struct srv_record recs[RESOLVE_MAX_TARGETS];
        size_t n = 0;
        int r = resolve_parse_srv(data, size, recs, ELEMENTSOF(recs), &n);

        if (r < 0)
                return;
        if (n > ELEMENTSOF(recs) || (r == 1 && n != 0))
                abort();
        for (size_t i = 0; i < n; i++) {
                if (strnlen(recs[i].target, sizeof(recs[i].target)) == sizeof(recs[i].target) ||
                    isempty(recs[i].target))
                        abort();
                if (i > 0 && (recs[i - 1].priority > recs[i].priority ||
                              (recs[i - 1].priority == recs[i].priority &&
                               recs[i - 1].weight < recs[i].weight)))
                        abort();
        }
}

static void check_endpoints(const uint8_t *data, size_t size)
{
        struct endpoint e[RESOLVE_MAX_ENDPOINTS], again;
        size_t n = 0;

        if (resolve_parse_endpoints((const char *)data, size, e, ELEMENTSOF(e), &n) < 0)
                return;
        if (n > ELEMENTSOF(e))
                abort();
        for (size_t i = 0; i < n; i++)
                if (e[i].port == 0 || resolve_parse_numeric(e[i].address, e[i].port, &again) < 0 ||
                    !streq(again.address, e[i].address))
                        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        if (size > 65536)
                return 0;
        check_srv(data, size);
        check_endpoints(data, size);
        return 0;
}
