/* SPDX-License-Identifier: MIT */
/*
 * D-Bus type signatures, checked by the rules of the specification ("Valid Signatures"):
 * basic types, v, arrays, structs, and dict entries only as an array's element with a basic
 * key; at most 255 bytes and 32 levels of arrays and of structs. sd-bus has no public
 * validator, and the policy loader must report bad signatures before anything connects.
 * Errors are msgids (N_()): a requester's value of type 'g' is told why in their language.
 */
#include "dbus.h"

bool dbus_type_is_basic(char c)
{
        return c && strchr("ybnqiuxtdsogh", c);
}

struct sig_walk {
        unsigned arrays, structs;
        const char *error;
};

static int complete_type(const char *s, struct sig_walk *w, bool dict_ok, size_t *ret);

static int array_type(const char *s, struct sig_walk *w, size_t *ret)
{
        size_t k;
        int r;

        if (++w->arrays > DBUS_NESTING_MAX) {
                w->error = N_("arrays nested too deeply");
                return -EINVAL;
        }
        r = complete_type(s + 1, w, true, &k);
        w->arrays--;
        if (r < 0)
                return r;
        *ret = 1 + k;
        return 0;
}

/* "(...)" or, when dict is set, "{KV}". */
static int group_type(const char *s, struct sig_walk *w, bool dict, size_t *ret)
{
        char close = dict ? '}' : ')';
        size_t p = 1, n = 0, k;
        int r;

        if (++w->structs > DBUS_NESTING_MAX) {
                w->error = N_("structs nested too deeply");
                return -EINVAL;
        }
        while (s[p] && s[p] != close) {
                if (dict && n == 0 && !dbus_type_is_basic(s[p])) {
                        w->error = N_("a dict key must be a basic type");
                        return -EINVAL;
                }
                r = complete_type(s + p, w, false, &k);
                if (r < 0)
                        return r;
                p += k;
                n++;
        }
        w->structs--;
        if (s[p] != close) {
                w->error = dict ? N_("unterminated '{'") : N_("unterminated '('");
                return -EINVAL;
        }
        if (n == 0 || (dict && n != 2)) {
                w->error = dict ? N_("a dict entry has exactly two types") : N_("empty struct");
                return -EINVAL;
        }
        *ret = p + 1;
        return 0;
}

static int complete_type(const char *s, struct sig_walk *w, bool dict_ok, size_t *ret)
{
        if (dbus_type_is_basic(*s) || *s == 'v') {
                *ret = 1;
                return 0;
        }
        switch (*s) {
        case 'a':
                return array_type(s, w, ret);
        case '(':
                return group_type(s, w, false, ret);
        case '{':
                if (!dict_ok) {
                        w->error = N_("a dict entry '{...}' may only follow 'a'");
                        return -EINVAL;
                }
                return group_type(s, w, true, ret);
        case '\0':
                w->error = N_("incomplete type");
                return -EINVAL;
        default:
                w->error = N_("unknown type code");
                return -EINVAL;
        }
}

int dbus_type_length(const char *sig, size_t *ret)
{
        struct sig_walk w = {0};

        if (!sig || strlen(sig) > DBUS_SIGNATURE_MAX)
                return -EINVAL;
        return complete_type(sig, &w, false, ret);
}

bool dbus_type_has_fd(const char *t, size_t len)
{
        return memchr(t, 'h', len) != NULL;
}

int dbus_signature_check(const char *sig, size_t *ret_n, const char **ret_error)
{
        struct sig_walk w = {0};
        size_t p = 0, n = 0, k;

        if (strlen(sig) > DBUS_SIGNATURE_MAX) {
                *ret_error = N_("longer than 255 bytes");
                return -EINVAL;
        }
        while (sig[p]) {
                if (complete_type(sig + p, &w, false, &k) < 0) {
                        *ret_error = w.error;
                        return -EINVAL;
                }
                p += k;
                n++;
        }
        /* Passing a file descriptor chosen by a remote requester makes no sense. */
        if (strchr(sig, 'h')) {
                *ret_error = "file descriptors ('h') cannot be passed from a form";
                return -EPERM;
        }
        if (ret_n)
                *ret_n = n;
        return 0;
}
