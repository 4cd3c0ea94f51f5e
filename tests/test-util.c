/* SPDX-License-Identifier: MIT */
#include "util.h"
#include "tests.h"

int main(void)
{
        usec_t u;
        uint64_t v;
        char **l = NULL;

        CHECK_INT(parse_duration("25s", &u), 0);
        CHECK_INT(u, 25 * USEC_PER_SEC);
        CHECK_INT(parse_duration("10m", &u), 0);
        CHECK_INT(u, 600 * USEC_PER_SEC);
        CHECK_INT(parse_duration("500ms", &u), 0);
        CHECK_INT(u, 500 * USEC_PER_MSEC);
        CHECK_INT(parse_duration("2", &u), 0);
        CHECK_INT(u, 2 * USEC_PER_SEC);
        CHECK_INT(parse_duration("1h", &u), 0);
        CHECK_INT(u, 3600 * USEC_PER_SEC);
        CHECK_INT(parse_duration("-1s", &u), -EINVAL);
        CHECK_INT(parse_duration("1 s", &u), -EINVAL);
        CHECK_INT(parse_duration("s", &u), -EINVAL);
        CHECK_INT(parse_duration("5x", &u), -EINVAL);
        CHECK_INT(parse_duration("99999999999999999999s", &u), -ERANGE);
        CHECK_INT(parse_size("64KiB", &v), 0);
        CHECK_INT(v, 65536);
        CHECK_INT(parse_size("1MiB", &v), 0);
        CHECK_INT(v, 1048576);
        CHECK_INT(parse_size("100", &v), 0);
        CHECK_INT(v, 100);
        CHECK_INT(parse_size("1.5MiB", &v), -EINVAL);
        CHECK_INT(parse_uint64("18446744073709551615", &v), 0);
        CHECK_INT(parse_uint64("18446744073709551616", &v), -ERANGE);
        CHECK_INT(parse_uint64("+1", &v), -EINVAL);

        CHECK(utf8_is_clean("héllo ✓", false));
        CHECK(!utf8_is_clean("a\nb", false));
        CHECK(utf8_is_clean("a\nb", true));
        CHECK(!utf8_is_clean("\xc3\x28", false));
        CHECK(!utf8_is_clean("\xc0\xaf", false));     /* overlong */
        CHECK(!utf8_is_clean("\xed\xa0\x80", false)); /* surrogate */
        CHECK(!utf8_is_clean("a\x1b[31m", true));

        CHECK_INT(strv_extend(&l, "a"), 0);
        CHECK_INT(strv_extend(&l, "b"), 0);
        CHECK_INT(strv_length(l), 2);
        CHECK(strv_contains(l, "b") && !strv_contains(l, "c"));
        l = strv_free(l);
        return TESTS_RESULT();
}
