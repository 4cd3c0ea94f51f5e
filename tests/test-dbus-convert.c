/* SPDX-License-Identifier: MIT */
/*
 * Form values to D-Bus arguments, checked by reading the built message back. The messages
 * are built on a bus over a socketpair that nothing answers: conversion needs no daemon.
 * The arguments are loaded without a signature, so that every check is the one made when a
 * command runs (with an introspected signature).
 */
#include <sys/socket.h>
#include <unistd.h>

#include "dbus.h"
#include "plugins.h"
#include "tests.h"

static sd_bus *bus;
static int peer = -1; /* the other end, kept open and never read */
static struct form *form;
static struct form_values vals;
static char *error;
static const char *lang = "en"; /* the requester's */

static void setup(void)
{
        static const char yaml[] = "fields:\n"
                                   "  - {var: level, label: Volume}\n"
                                   "  - {var: name}\n"
                                   "  - {var: tags, type: text-multi, label: Tags}\n"
                                   "  - {var: none, type: text-multi}\n"
                                   "  - {var: pin, type: text-private, label: PIN}\n";
        _cleanup_(ynode_freep) struct ynode *n = NULL;
        struct diags d = {0};
        int sv[2];

        CHECK(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0, sv) == 0);
        peer = sv[1];
        CHECK(sd_bus_new(&bus) >= 0);
        CHECK(sd_bus_set_fd(bus, sv[0], sv[0]) >= 0);
        CHECK(sd_bus_start(bus) >= 0);
        CHECK(ynode_parse(yaml, strlen(yaml), "form.yaml", &n, &d) >= 0);
        CHECK(form_from_ynode(n, &form, &d) >= 0);
        diags_done(&d);
}

static void set(const char *var, char *const *values, bool secret)
{
        CHECK(form_values_set(&vals, var, values, secret) >= 0);
}

/* Converts args (YAML list) to signature; returns the sealed message, rewound, or NULL with
 * the conversion's return value in *ret_r. */
static sd_bus_message *convert_r(const char *signature, const char *args, int *ret_r)
{
        _cleanup_(ynode_freep) struct ynode *root = NULL;
        _cleanup_free_ char *yaml = NULL;
        struct dbus_config *c = NULL;
        sd_bus_message *m = NULL;
        struct diags d = {0};
        const struct template_vars vars = {.values = &vals, .from = "alice@example.org/phone"};
        struct dbus_convert conv = {.vars = &vars, .form = form, .lang = lang};
        int r;

        free(error);
        error = NULL;
        CHECK(asprintf(&yaml, "{destination: a.b, path: /a, interface: a.b, method: X, args: %s}",
                       args) > 0);
        r = ynode_parse(yaml, strlen(yaml), "t.yaml", &root, &d);
        if (r >= 0)
                r = dbus_action.parse(root, form, (void **)&c, &d);
        if (r < 0) {
                diags_print(&d, stderr);
                diags_done(&d);
                *ret_r = r;
                return NULL;
        }
        CHECK(sd_bus_message_new_method_call(bus, &m, "a.b", "/a", "a.b", "X") >= 0);
        r = dbus_append_args(m, signature, c->args, c->n_args, &conv);
        if (r >= 0)
                CHECK(sd_bus_message_seal(m, 1, 0) >= 0);
        if (r >= 0)
                CHECK(sd_bus_message_rewind(m, true) >= 0);
        *ret_r = r;
        error = conv.error;
        dbus_config_free(c);
        if (r < 0)
                m = sd_bus_message_unref(m);
        return m;
}

static sd_bus_message *convert(const char *signature, const char *args)
{
        int r;
        sd_bus_message *m = convert_r(signature, args, &r);

        CHECK_INT(r, 0);
        if (r < 0)
                fprintf(stderr, "conversion of %s to '%s' failed: %s\n", args, signature,
                        strempty(error));
        return m;
}

/* Expects the conversion to fail with r and an error message containing msg. */
static void refused(const char *signature, const char *args, int r, const char *msg)
{
        int k;
        sd_bus_message *m = convert_r(signature, args, &k);

        CHECK(m == NULL);
        sd_bus_message_unref(m);
        CHECK_INT(k, r);
        if (!error || !strstr(error, msg)) {
                fprintf(stderr, "%s as '%s': expected '%s', got '%s'\n", args, signature, msg,
                        strempty(error));
                CHECK(false);
        }
}

static void test_basic(void)
{
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL;
        uint8_t y;
        int b1, b2, b3;
        int16_t n;
        uint16_t q;
        int32_t i;
        uint32_t u;
        int64_t x1, x2;
        uint64_t t;
        double dd;
        const char *s, *o, *g;

        set("level", (char *[]){(char *)"0.25", NULL}, false);
        m = convert("ybbbnqiuxxtdsog",
                    "['255', 'true', '0', 'false', '-32768', '65535', '-2147483648', '4294967295',"
                    " '-9223372036854775808', '9223372036854775807', '18446744073709551615',"
                    " '{level}', 'h\xc3\xa9llo {from}', '/a/b_c', 'a{{sv}}']");
        if (!m)
                return;
        CHECK(sd_bus_message_read(m, "ybbbnqiuxxtdsog", &y, &b1, &b2, &b3, &n, &q, &i, &u, &x1, &x2,
                                  &t, &dd, &s, &o, &g) > 0);
        CHECK_INT(y, 255);
        CHECK(b1 == 1 && b2 == 0 && b3 == 0);
        CHECK_INT(n, INT16_MIN);
        CHECK_INT(q, UINT16_MAX);
        CHECK_INT(i, INT32_MIN);
        CHECK_INT(u, UINT32_MAX);
        CHECK(x1 == INT64_MIN && x2 == INT64_MAX);
        CHECK(t == UINT64_MAX);
        CHECK(dd == 0.25);
        CHECK_STREQ(s, "h\xc3\xa9llo alice@example.org/phone");
        CHECK_STREQ(o, "/a/b_c");
        CHECK_STREQ(g, "a{sv}");
}

static void test_refused_values(void)
{
        static const struct {
                const char *sig, *value, *msg;
        } bad[] = {
            {"y", "256", "Volume: '256' is above the maximum 255"},
            {"y", "-1", "Volume: '-1' is below the minimum 0"},
            {"n", "-32769", "Volume: '-32769' is below the minimum -32768"},
            {"n", "32768", "Volume: '32768' is above the maximum 32767"},
            {"q", "-1", "Volume: '-1' is below the minimum 0"},
            {"i", "2147483648", "is above the maximum 2147483647"},
            {"u", "4294967296", "Volume: '4294967296' is above the maximum 4294967295"},
            {"x", "-9223372036854775809", "is below the minimum -9223372036854775808"},
            {"x", "9223372036854775808", "is above the maximum 9223372036854775807"},
            {"t", "18446744073709551616", "is above the maximum 18446744073709551615"},
            {"t", "99999999999999999999999", "is above the maximum 18446744073709551615"},
            {"t", "-1", "is below the minimum 0"},
            {"u", "1.5", "Volume: '1.5' is not an integer"},
            {"u", " 1", "is not an integer"},
            {"u", "0x10", "is not an integer"},
            {"d", "abc", "Volume: 'abc' is not a number"},
            {"d", "nan", "is not a number"},
            {"d", "inf", "is not a number"},
            {"d", "0x10", "is not a number"},
            {"d", " 1", "is not a number"},
            {"d", "1e999", "is out of the range of a double"},
            {"o", "not/a/path", "Volume: 'not/a/path' is not a valid D-Bus object path"},
            {"o", "/a/", "is not a valid D-Bus object path"},
            {"b", "maybe", "Volume: 'maybe' is not a boolean (true, false, 1 or 0)"},
            {"b", "yes", "is not a boolean"},
            {"g", "a{", "is not a valid D-Bus signature"},
            {"i", "", "Volume: no value given"},
        };

        for (size_t k = 0; k < ELEMENTSOF(bad); k++) {
                set("level", (char *[]){(char *)bad[k].value, NULL}, false);
                refused(bad[k].sig, "['{level}']", -EINVAL, bad[k].msg);
        }
        /* Long values are cut in the message; secret ones never repeated. */
        set("level", (char *[]){(char *)"1234567890123456789012345678901234567890123456789", NULL},
            false);
        refused("u", "['{level}']", -EINVAL, "'1234567890123456789012345678901234567890…' is");
        set("level", (char *[]){(char *)"123456789012345678901234567890123456789\xc3\xa9", NULL},
            false);
        refused("u", "['{level}']", -EINVAL, "'123456789012345678901234567890123456789…' is");
        set("pin", (char *[]){(char *)"12ab", NULL}, true);
        refused("u", "['{pin}']", -EINVAL, "PIN: the value is not an integer");
        CHECK(error && !strstr(error, "12ab"));
        /* Not a whole reference: the argument is named. */
        set("level", (char *[]){(char *)"5", NULL}, false);
        refused("su", "[a, '{level}x']", -EINVAL, "argument 2: '5x' is not an integer");
        /* A field without label is named by its var. */
        set("name", (char *[]){(char *)"bob", NULL}, false);
        refused("i", "['{name}']", -EINVAL, "name: 'bob' is not an integer");
}

static void test_arrays(void)
{
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *m1 = NULL, *m2 = NULL, *m3 = NULL;
        const char *a, *b, *c, *d;
        uint32_t u1, u2;

        set("tags", (char *[]){(char *)"red", (char *)"green", (char *)"blue", NULL}, false);
        set("none", (char *[]){NULL}, false);
        set("level", (char *[]){(char *)"7", NULL}, false);
        /* "{tags}" and "{tags...}" alone: one element per value; an empty field: none. */
        m1 = convert("asasasau", "['{tags}', '{tags...}', '{none}', '{level}']");
        if (m1) {
                CHECK(sd_bus_message_read(m1, "as", 3, &a, &b, &c) > 0);
                CHECK_STREQ(a, "red");
                CHECK_STREQ(c, "blue");
                CHECK(sd_bus_message_read(m1, "as", 3, &a, &b, &c) > 0);
                CHECK(sd_bus_message_read(m1, "as", 0) > 0);
                CHECK(sd_bus_message_read(m1, "au", 1, &u1) > 0);
                CHECK_INT(u1, 7);
        }
        /* A list: items with "{var...}" expand, others give one element each. */
        m2 = convert("as", "[['{tags...}', 'x {level}']]");
        if (m2) {
                CHECK(sd_bus_message_read(m2, "as", 4, &a, &b, &c, &d) > 0);
                CHECK_STREQ(d, "x 7");
        }
        /* Embedded in text, a multi-valued field is joined, not split. */
        m3 = convert("au", "[['{level}', '8']]");
        if (m3) {
                CHECK(sd_bus_message_read(m3, "au", 2, &u1, &u2) > 0);
                CHECK_INT(u2, 8);
        }
        set("tags", (char *[]){(char *)"1", (char *)"x", NULL}, false);
        refused("au", "['{tags}']", -EINVAL, "Tags: 'x' is not an integer");
        /* "{var...}" where one value goes: fine with one value, refused with more. */
        set("tags", (char *[]){(char *)"1", NULL}, false);
        sd_bus_message_unref(convert("u", "['{tags...}']"));
        set("tags", (char *[]){(char *)"1", (char *)"2", NULL}, false);
        refused("u", "['{tags...}']", -EINVAL, "Tags: takes one value, got 2");
}

static void test_containers(void)
{
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL, *m2 = NULL;
        const char *key, *s, *s2;
        double dd;
        uint32_t u;
        int32_t i;

        set("level", (char *[]){(char *)"0.5", NULL}, false);
        set("name", (char *[]){(char *)"bob", NULL}, false);
        set("tags", (char *[]){(char *)"a", (char *)"b", NULL}, false);
        m = convert("a{sv}v(su)a(si)",
                    "[{Volume: {type: d, value: '{level}'}, Tags: {type: as, value: '{tags}'}},"
                    " {type: 'a{sv}', value: {Inner: {type: u, value: '3'}}},"
                    " ['{name}', '5'], [[a, '1'], [b, '-2']]]");
        if (!m)
                return;
        CHECK(sd_bus_message_enter_container(m, 'a', "{sv}") > 0);
        CHECK(sd_bus_message_read(m, "{sv}", &key, "d", &dd) > 0);
        CHECK_STREQ(key, "Volume");
        CHECK(dd == 0.5);
        CHECK(sd_bus_message_read(m, "{sv}", &key, "as", 2, &s, &s2) > 0);
        CHECK_STREQ(key, "Tags");
        CHECK_STREQ(s2, "b");
        CHECK(sd_bus_message_exit_container(m) >= 0);
        CHECK(sd_bus_message_read(m, "v", "a{sv}", 1, &key, "u", &u) > 0);
        CHECK_STREQ(key, "Inner");
        CHECK_INT(u, 3);
        CHECK(sd_bus_message_read(m, "(su)", &s, &u) > 0);
        CHECK_STREQ(s, "bob");
        CHECK_INT(u, 5);
        CHECK(sd_bus_message_read(m, "a(si)", 2, &s, &i, &s2, &i) > 0);
        CHECK_INT(i, -2);

        /* A value inside a dict is named by its field, or else by its key. */
        set("level", (char *[]){(char *)"loud", NULL}, false);
        refused("a{sv}", "[{Volume: {type: d, value: '{level}'}}]", -EINVAL,
                "Volume: 'loud' is not a number");
        refused("a{sv}", "[{Speed: {type: d, value: 'x{level}'}}]", -EINVAL,
                "Speed: 'xloud' is not a number");
        refused("a{ud}", "[{'7': '{level}'}]", -EINVAL, "Volume: 'loud' is not a number");
        m2 = convert("a{ud}", "[{'7': '2.5'}]");
        if (m2) {
                CHECK(sd_bus_message_read(m2, "a{ud}", 1, &u, &dd) > 0);
                CHECK(u == 7 && dd == 2.5);
        }
}

static void test_policy_mismatch(void)
{
        /* The policy does not fit an (introspected) signature: -EPROTO, naming the argument. */
        refused("v", "[x]", -EPROTO, "argument 1: a variant 'v' is written {type: TYPE, value");
        refused("(su)", "[x]", -EPROTO, "argument 1: a struct '(su)' is written as a list of 2");
        refused("(su)", "[[a]]", -EPROTO, "a struct '(su)' is written as a list of 2");
        refused("s", "[[a]]", -EPROTO, "argument 1: a 's' is written as a template");
        refused("a{sv}", "[x]", -EPROTO, "a dict '{sv}' is written as a map");
        refused("aas", "[x]", -EPROTO, "an array of 'as' is written as a list");
        refused("as", "[{a: b}]", -EPROTO, "an array is a template or a list, not a map");
        refused("a{us}", "[{x: y}]", -EPROTO, "key 'x' does not fit type 'u'");
        refused("h", "['1']", -EPROTO, "unusable D-Bus type 'h'");
        refused("ss", "[a]", -EPROTO, "the method takes 2 argument(s) ('ss'), the policy gives 1");
        refused("", "[a]", -EPROTO, "the method takes 0 argument(s)");
}

/* The requester's mistakes are told in their language; the policy's stay English. */
static void test_refused_in_french(void)
{
        lang = "fr";
        set("level", (char *[]){(char *)"256", NULL}, false);
        refused("y", "['{level}']", -EINVAL, "Volume : « 256 » est supérieur au maximum 255");
        set("level", (char *[]){(char *)"-1", NULL}, false);
        refused("q", "['{level}']", -EINVAL, "Volume : « -1 » est inférieur au minimum 0");
        set("level", (char *[]){(char *)"loud", NULL}, false);
        refused("i", "['{level}']", -EINVAL, "Volume : « loud » n'est pas un entier");
        set("level", (char *[]){(char *)"a{", NULL}, false);
        refused("g", "['{level}']", -EINVAL,
                "Volume : « a{ » n'est pas une signature D-Bus valide : « { » sans « } »");
        set("level", (char *[]){(char *)"", NULL}, false);
        refused("i", "['{level}']", -EINVAL, "Volume : aucune valeur donnée (la valeur n'est pas");
        set("pin", (char *[]){(char *)"12ab", NULL}, true);
        refused("u", "['{pin}']", -EINVAL, "PIN : la valeur n'est pas un entier");
        refused("ss", "[a]", -EPROTO, "the method takes 2 argument(s) ('ss'), the policy gives 1");
        lang = "de";
        set("level", (char *[]){(char *)"loud", NULL}, false);
        refused("i", "['{level}']", -EINVAL, "Volume: 'loud' is not an integer");
        lang = "en";
}

static void test_basic_parse(void)
{
        union dbus_basic v;
        char *reason = NULL;

        CHECK_INT(dbus_basic_parse('x', "-0", NULL, &v, &reason), 0);
        CHECK(v.x == 0);
        CHECK_INT(dbus_basic_parse('t', "+42", NULL, &v, &reason), 0);
        CHECK(v.t == 42);
        CHECK_INT(dbus_basic_parse('y', "007", NULL, &v, &reason), 0);
        CHECK_INT(v.y, 7);
        CHECK_INT(dbus_basic_parse('u', "-", NULL, &v, &reason), -EINVAL);
        CHECK_STREQ(reason, "is not an integer");
        free(reason);
        reason = NULL;
        CHECK_INT(dbus_basic_parse('y', "300", "fr", &v, &reason), -EINVAL);
        CHECK_STREQ(reason, "est supérieur au maximum 255");
        free(reason);
        reason = NULL;
        CHECK_INT(dbus_basic_parse('d', "1e-400", NULL, &v, &reason), 0); /* underflows to 0 */
        CHECK_INT(dbus_basic_parse('d', "-0.0", NULL, &v, &reason), 0);
}

int main(void)
{
        setup();
        test_basic();
        test_refused_values();
        test_arrays();
        test_containers();
        test_policy_mismatch();
        test_refused_in_french();
        test_basic_parse();
        form_values_done(&vals);
        form_free(form);
        free(error);
        sd_bus_close_unref(bus);
        close(peer);
        return TESTS_RESULT();
}
