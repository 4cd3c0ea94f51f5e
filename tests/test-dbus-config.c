/* SPDX-License-Identifier: MIT */
/* The dbus: action's YAML: what loads, and what is refused with which message where. */
#include "dbus.h"
#include "plugins.h"
#include "tests.h"

static struct diags d;

#define FORM                                                                                       \
        "form:\n"                                                                                  \
        "  fields:\n"                                                                              \
        "    - {var: level, label: Volume}\n"                                                      \
        "    - {var: name}\n"                                                                      \
        "    - {var: tags, type: text-multi}\n"

/* Parses FORM followed by yaml, whose "dbus:" map is the action. */
static int parse(const char *yaml, struct dbus_config **ret)
{
        _cleanup_(ynode_freep) struct ynode *root = NULL;
        _cleanup_(form_freep) struct form *form = NULL;
        _cleanup_free_ char *text = NULL;
        int r;

        diags_done(&d);
        if (asprintf(&text, FORM "%s", yaml) < 0)
                return -ENOMEM;
        r = ynode_parse(text, strlen(text), "t.yaml", &root, &d);
        if (r >= 0)
                r = form_from_ynode(ynode_get(root, "form"), &form, &d);
        if (r >= 0)
                r = dbus_action.parse(ynode_get(root, "dbus"), form, (void **)ret, &d);
        /* The form goes now: nothing may keep pointing at it except through cfg->form. */
        if (r >= 0)
                (*ret)->form = NULL;
        return r;
}

static struct dbus_config *ok(const char *yaml)
{
        struct dbus_config *c = NULL;

        CHECK_INT(parse(yaml, &c), 0);
        if (!c)
                diags_print(&d, stderr);
        CHECK_INT(d.n_errors, 0);
        return c;
}

/* Expects an error whose message contains msg, at line (1-based in yaml, after FORM). */
static void fails(const char *yaml, unsigned line, const char *msg)
{
        struct dbus_config *c = NULL;
        bool found = false;

        CHECK_INT(parse(yaml, &c), -EINVAL);
        CHECK(c == NULL);
        for (size_t i = 0; i < d.n; i++)
                if (d.v[i].level == DIAG_ERROR && strstr(d.v[i].msg, msg) &&
                    (line == 0 || d.v[i].line == line + 5))
                        found = true;
        if (!found) {
                fprintf(stderr, "expected error at line %u: '%s', got:\n", line, msg);
                diags_print(&d, stderr);
        }
        CHECK(found);
        dbus_config_free(c);
}

#define TARGET                                                                                     \
        "  destination: org.adhocd.Test\n  path: /org/adhocd/Test1\n  interface: "                 \
        "org.adhocd.Test1\n"

static void test_minimal(void)
{
        struct dbus_config *c = ok("dbus:\n" TARGET "  method: Hang\n");

        if (!c)
                return;
        CHECK_STREQ(c->bus, "session");
        CHECK_STREQ(c->destination, "org.adhocd.Test");
        CHECK_STREQ(c->path, "/org/adhocd/Test1");
        CHECK_STREQ(c->interface, "org.adhocd.Test1");
        CHECK_STREQ(c->member, "Hang");
        CHECK_INT(c->kind, DBUS_CALL_METHOD);
        CHECK(c->signature == NULL);
        CHECK_INT(c->n_args, 0);
        CHECK_INT(c->timeout, 25 * USEC_PER_SEC);
        dbus_config_free(c);
}

static void test_full_method(void)
{
        struct dbus_config *c = ok("dbus:\n"
                                   "  bus: unix:path=/run/test/bus\n" TARGET "  method: Seek\n"
                                   "  signature: sxas(su)\n"
                                   "  args: ['{name}', '{level}', '{tags...}', ['{name}', 5]]\n"
                                   "  columns: [Name, Size]\n"
                                   "  timeout: 300ms\n");

        if (!c)
                return;
        CHECK_STREQ(c->bus, "unix:path=/run/test/bus");
        CHECK_STREQ(c->signature, "sxas(su)");
        CHECK_INT(c->n_args, 4);
        CHECK_INT(c->args[0].kind, DBUS_ARG_TEMPLATE);
        CHECK_STREQ(c->args[0].text, "{name}");
        CHECK_INT(c->args[3].kind, DBUS_ARG_LIST);
        CHECK_INT(c->args[3].n_items, 2);
        CHECK_STREQ(c->args[3].items[1].text, "5");
        CHECK_INT(strv_length(c->columns), 2);
        CHECK_INT(c->timeout, 300 * USEC_PER_MSEC);
        dbus_config_free(c);
}

static void test_properties(void)
{
        struct dbus_config *c;

        c = ok("dbus:\n" TARGET "  get_property: Volume\n  bus: system\n");
        if (c) {
                CHECK_INT(c->kind, DBUS_CALL_GET_PROPERTY);
                CHECK_STREQ(c->member, "Volume");
                CHECK_STREQ(c->bus, "system");
        }
        dbus_config_free(c);

        c = ok("dbus:\n" TARGET "  set_property: {name: Volume, value: '{level}', type: d}\n");
        if (c) {
                CHECK_INT(c->kind, DBUS_CALL_SET_PROPERTY);
                CHECK_STREQ(c->signature, "d");
                CHECK_INT(c->n_args, 1);
                CHECK_STREQ(c->args[0].text, "{level}");
        }
        dbus_config_free(c);

        /* Without a type, it is introspected. */
        c = ok("dbus:\n" TARGET "  set_property: {name: Volume, value: '{level}'}\n");
        if (c)
                CHECK(c->signature == NULL);
        dbus_config_free(c);
}

static void test_dict_and_variant(void)
{
        struct dbus_config *c;

        c = ok("dbus:\n" TARGET "  method: DescribeMixed\n"
               "  signature: sa{sv}v\n"
               "  args:\n"
               "    - '{name}'\n"
               "    - {Volume: {type: d, value: '{level}'}, Tags: {type: as, value: '{tags}'}}\n"
               "    - {type: 'a{sv}', value: {Inner: {type: s, value: x}}}\n");
        if (c) {
                const struct dbus_arg *dict = &c->args[1], *v = &c->args[2];

                CHECK_INT(dict->kind, DBUS_ARG_MAP);
                CHECK_INT(dict->n_items, 2);
                CHECK_STREQ(dict->keys[0], "Volume");
                CHECK_STREQ(dict->keys[1], "Tags");
                CHECK_INT(v->kind, DBUS_ARG_MAP);
                /* The variant's type is kept as written: it is not a template. */
                CHECK_STREQ(v->items[0].text, "a{sv}");
        }
        dbus_config_free(c);

        /* Without a signature, a {type, value} map is checked as a variant all the same. */
        fails("dbus:\n" TARGET "  method: X\n  args: [{type: y, value: '300'}]\n", 6,
              "'300' is above the maximum 255");
        fails("dbus:\n" TARGET "  method: X\n  args: [{type: 'a{sv', value: x}]\n", 6,
              "invalid D-Bus signature");
}

static void test_refused(void)
{
        fails("dbus:\n" TARGET "  method: X\n  foo: 1\n", 6, "unknown key 'foo'");
        fails("dbus:\n  path: /a\n  interface: a.b\n  method: X\n", 2, "needs 'destination:'");
        fails("dbus:\n  destination: not a name\n  path: /a\n  interface: a.b\n  method: X\n", 2,
              "is not a valid D-Bus bus name");
        fails("dbus:\n  destination: a.b\n  path: not/a/path\n  interface: a.b\n  method: X\n", 3,
              "is not a valid D-Bus object path");
        fails("dbus:\n  destination: a.b\n  path: /a\n  interface: nodots\n  method: X\n", 4,
              "is not a valid D-Bus interface name");
        fails("dbus:\n" TARGET "  method: 'a.b'\n", 5, "not a valid D-Bus method name");
        fails("dbus:\n" TARGET "  method: X\n  get_property: Y\n", 2, "exactly one of");
        fails("dbus:\n" TARGET, 2, "exactly one of");
        fails("dbus:\n  bus: bogus\n" TARGET "  method: X\n", 2, "bus: must be session, system");
        fails("dbus:\n" TARGET "  method: X\n  timeout: 0s\n", 6, "between 1ms and 1h");
        fails("dbus:\n" TARGET "  get_property: X\n  args: [a]\n", 6, "go with method:");
        fails("dbus:\n" TARGET "  set_property: {name: X}\n", 5, "needs 'value:'");
        fails("dbus:\n" TARGET "  set_property: {name: X, value: a, type: su}\n", 5,
              "is not one complete D-Bus type");
}

static void test_signatures(void)
{
        /* File descriptors are refused wherever they appear. */
        fails("dbus:\n" TARGET "  method: TakeFd\n  signature: h\n  args: ['1']\n", 6,
              "file descriptors ('h') cannot be passed");
        fails("dbus:\n" TARGET "  method: X\n  signature: a{sh}\n  args: [{}]\n", 6,
              "file descriptors");
        fails("dbus:\n" TARGET "  method: X\n  args: [{type: h, value: '1'}]\n", 6,
              "file descriptors");
        fails("dbus:\n" TARGET "  set_property: {name: X, value: '1', type: h}\n", 5,
              "file descriptors");
        /* Malformed signatures. */
        fails("dbus:\n" TARGET "  method: X\n  signature: a{vs}\n  args: [{}]\n", 6,
              "a dict key must be a basic type");
        fails("dbus:\n" TARGET "  method: X\n  signature: (\n  args: [[]]\n", 6,
              "unterminated '('");
        fails("dbus:\n" TARGET "  method: X\n  signature: z\n  args: [a]\n", 6,
              "unknown type code");
        /* The argument count must match. */
        fails("dbus:\n" TARGET "  method: X\n  signature: sx\n  args: ['{name}']\n", 7,
              "takes 2 argument(s), args: gives 1");
        fails("dbus:\n" TARGET "  method: X\n  signature: s\n", 6,
              "takes 1 argument(s), args: gives 0");
        dbus_config_free(ok("dbus:\n" TARGET "  method: X\n  signature: ''\n"));
}

static void test_shapes(void)
{
        fails("dbus:\n" TARGET "  method: X\n  signature: (su)\n  args: ['{name}']\n", 7,
              "is written as a list, not a template");
        fails("dbus:\n" TARGET "  method: X\n  signature: (su)\n  args: [[a]]\n", 7,
              "has 2 members, the list 1");
        fails("dbus:\n" TARGET "  method: X\n  signature: v\n  args: ['{level}']\n", 7,
              "map {type: ..., value: ...}");
        fails("dbus:\n" TARGET "  method: X\n  signature: v\n  args: [{value: a}]\n", 7,
              "a variant is written {type: TYPE, value: VALUE}");
        fails("dbus:\n" TARGET "  method: X\n  signature: s\n  args: [[a]]\n", 7,
              "is not written as a list");
        fails("dbus:\n" TARGET "  method: X\n  signature: s\n  args: [{a: b}]\n", 7,
              "is not written as a map");
        fails("dbus:\n" TARGET "  method: X\n  signature: a{us}\n  args: [{x: b}]\n", 7,
              "'x' is not an integer");
        /* "{var...}" only where an array takes the values. */
        fails("dbus:\n" TARGET "  method: X\n  signature: s\n  args: ['{tags...}']\n", 7,
              "only allowed as a whole command argument");
        dbus_config_free(
            ok("dbus:\n" TARGET "  method: X\n  signature: as\n  args: [['{tags...}', x]]\n"));
        fails("dbus:\n" TARGET "  method: X\n  args: ['{nope}']\n", 6, "undeclared field 'nope'");
        fails("dbus:\n" TARGET "  method: X\n  args: [~]\n", 6, "got null");
}

static void test_literals(void)
{
        static const struct {
                const char *sig, *value, *msg;
        } bad[] = {
            {"y", "256", "'256' is above the maximum 255"},
            {"n", "-32769", "'-32769' is below the minimum -32768"},
            {"q", "-1", "'-1' is below the minimum 0"},
            {"u", "4294967296", "is above the maximum 4294967295"},
            {"x", "-9223372036854775809", "is below the minimum -9223372036854775808"},
            {"t", "18446744073709551616", "is above the maximum 18446744073709551615"},
            {"d", "abc", "'abc' is not a number"},
            {"o", "not/a/path", "is not a valid D-Bus object path"},
            {"b", "maybe", "'maybe' is not a boolean"},
            {"g", "a{{", "'a{' is not a valid D-Bus signature"},
            {"i", "1.5", "is not an integer"},
        };

        for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
                _cleanup_free_ char *yaml = NULL;

                CHECK(asprintf(&yaml,
                               "dbus:\n" TARGET "  method: X\n  signature: %s\n"
                               "  args: ['%s']\n",
                               bad[i].sig, bad[i].value) > 0);
                fails(yaml, 7, bad[i].msg);
        }
        /* Edges that fit, and templates, which are only checked when the command runs. */
        dbus_config_free(ok("dbus:\n" TARGET "  method: X\n  signature: yxtbdog\n"
                            "  args: ['255', '-9223372036854775808', '18446744073709551615', "
                            "'true', '-1.5e3', '/a/b', 'a{{sv}}']\n"));
        dbus_config_free(ok("dbus:\n" TARGET "  method: X\n  signature: y\n  args: ['{level}']\n"));
}

int main(void)
{
        test_minimal();
        test_full_method();
        test_properties();
        test_dict_and_variant();
        test_refused();
        test_signatures();
        test_shapes();
        test_literals();
        diags_done(&d);
        return TESTS_RESULT();
}
