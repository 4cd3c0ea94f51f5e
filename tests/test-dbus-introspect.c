/* SPDX-License-Identifier: MIT */
/* Introspection XML as sd-bus, GDBus and dbus-python write it, and what is refused. */
#include "dbus.h"
#include "tests.h"

/* The shape sd-bus produces (DOCTYPE, unnamed arguments, annotations, child nodes). */
static const char sdbus_xml[] =
    "<!DOCTYPE node PUBLIC \"-//freedesktop//DTD D-BUS Object Introspection 1.0//EN\"\n"
    "\"https://www.freedesktop.org/standards/dbus/1.0/introspect.dtd\">\n"
    "<node>\n"
    " <interface name=\"org.freedesktop.DBus.Peer\">\n"
    "  <method name=\"Ping\"/>\n"
    " </interface>\n"
    " <interface name=\"org.adhocd.Test1\">\n"
    "  <method name=\"Multi\">\n"
    "   <arg type=\"s\" name=\"text\" direction=\"in\"/>\n"
    "   <arg type=\"i\" name=\"number\"/>\n"
    "   <arg type=\"s\" name=\"text\" direction=\"out\"/>\n"
    "   <arg type=\"i\" direction=\"out\"/>\n"
    "   <arg type=\"b\" name=\"positive\" direction=\"out\"/>\n"
    "  </method>\n"
    "  <method name=\"Dict\">\n"
    "   <arg type=\"a{sv}\" direction=\"in\"/>\n"
    "   <annotation name=\"org.freedesktop.DBus.Deprecated\" value=\"true\"/>\n"
    "  </method>\n"
    "  <method name=\"Broken\">\n"
    "   <arg type=\"a{\" direction=\"in\"/>\n"
    "  </method>\n"
    "  <signal name=\"Changed\">\n"
    "   <arg type=\"s\"/>\n"
    "  </signal>\n"
    "  <property name=\"Volume\" type=\"d\" access=\"readwrite\">\n"
    "   <annotation name=\"org.freedesktop.DBus.Property.EmitsChangedSignal\" "
    "value=\"true\"/>\n"
    "  </property>\n"
    "  <property name=\"Name\" type=\"s\" access=\"read\"/>\n"
    "  <property name=\"Secret\" type=\"s\" access=\"write\"/>\n"
    "  <property name=\"Bad\" type=\"zz\" access=\"read\"/>\n"
    " </interface>\n"
    " <node name=\"child\"/>\n"
    "</node>\n";

/* The shape GDBus and dbus-python produce (XML declaration, comments, escapes). */
static const char gdbus_xml[] =
    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
    "<!-- GDBus 2.74.6 -->\n"
    "<node>\n"
    "  <!-- a comment -->\n"
    "  <interface name='org.mpris.MediaPlayer2.Player'>\n"
    "    <method name='Seek'><arg type='x' name='Offset' direction='in'/></method>\n"
    "    <method name='Get&amp;Set'><arg type='s' name='a&lt;b' direction='out'/></method>\n"
    "  </interface>\n"
    "</node>\n";

static void test_sdbus(void)
{
        _cleanup_(dbus_introspection_freep) struct dbus_introspection *i = NULL;
        const struct dbus_imethod *m;
        const struct dbus_iproperty *p;

        CHECK_INT(dbus_introspection_parse(sdbus_xml, &i), 0);
        if (!i)
                return;
        CHECK_INT(i->n_interfaces, 2);
        m = dbus_introspection_find_method(i, "org.adhocd.Test1", "Multi");
        CHECK(m != NULL);
        if (m) {
                CHECK_STREQ(m->in_signature, "si"); /* direction defaults to in */
                CHECK_STREQ(m->out_signature, "sib");
                CHECK_INT(strv_length(m->out_names), 3);
                CHECK_STREQ(m->out_names[0], "text");
                CHECK_STREQ(m->out_names[1], ""); /* unnamed: kept in its place */
                CHECK_STREQ(m->out_names[2], "positive");
                /* Input names too, in order: dbus_expose names its form fields after them. */
                CHECK_INT(strv_length(m->in_names), 2);
                CHECK_STREQ(m->in_names[0], "text");
                CHECK_STREQ(m->in_names[1], "number");
        }
        m = dbus_introspection_find_method(i, "org.adhocd.Test1", "Dict");
        CHECK(m && streq(m->in_signature, "a{sv}") && streq(m->out_signature, ""));
        CHECK(m && strv_length(m->in_names) == 1 && streq(m->in_names[0], ""));
        CHECK(dbus_introspection_find_interface(i, "org.adhocd.Test1") != NULL);
        CHECK(dbus_introspection_find_interface(i, "org.adhocd.Nope") == NULL);
        /* A method with a malformed type is left out, not the whole object. */
        CHECK(dbus_introspection_find_method(i, "org.adhocd.Test1", "Broken") == NULL);
        CHECK(dbus_introspection_find_method(i, "org.adhocd.Test1", "Changed") == NULL);
        CHECK(dbus_introspection_find_method(i, "org.freedesktop.DBus.Peer", "Ping") != NULL);
        CHECK(dbus_introspection_find_method(i, "org.adhocd.Other", "Multi") == NULL);

        p = dbus_introspection_find_property(i, "org.adhocd.Test1", "Volume");
        CHECK(p && streq(p->type, "d") && p->readable && p->writable);
        p = dbus_introspection_find_property(i, "org.adhocd.Test1", "Name");
        CHECK(p && p->readable && !p->writable);
        p = dbus_introspection_find_property(i, "org.adhocd.Test1", "Secret");
        CHECK(p && !p->readable && p->writable);
        CHECK(dbus_introspection_find_property(i, "org.adhocd.Test1", "Bad") == NULL);
}

static void test_gdbus(void)
{
        _cleanup_(dbus_introspection_freep) struct dbus_introspection *i = NULL;
        const struct dbus_imethod *m;

        CHECK_INT(dbus_introspection_parse(gdbus_xml, &i), 0);
        m = dbus_introspection_find_method(i, "org.mpris.MediaPlayer2.Player", "Seek");
        CHECK(m && streq(m->in_signature, "x"));
        m = dbus_introspection_find_method(i, "org.mpris.MediaPlayer2.Player", "Get&Set");
        CHECK(m && streq(m->out_names[0], "a<b"));
}

static void test_refused(void)
{
        static const char *const bad[] = {
            "",
            "not xml",
            "<node>",
            "<node><interface></node>",
            "<other/>",
            "<!-- unterminated",
            "<?xml version='1.0'",
            /* Entity declarations are never needed: refused before the parser sees them. */
            "<!DOCTYPE node [<!ENTITY a \"aaaaaaaa\">]><node name='&a;'/>",
        };
        struct dbus_introspection *i = NULL;
        _cleanup_free_ char *big = NULL;

        for (size_t k = 0; k < ELEMENTSOF(bad); k++) {
                CHECK_INT(dbus_introspection_parse(bad[k], &i), -EINVAL);
                CHECK(i == NULL);
        }
        big = malloc(DBUS_INTROSPECTION_MAX + 2);
        if (!big)
                return;
        memset(big, ' ', DBUS_INTROSPECTION_MAX + 1);
        big[DBUS_INTROSPECTION_MAX + 1] = '\0';
        CHECK_INT(dbus_introspection_parse(big, &i), -E2BIG);

        /* An object without interfaces is fine, and empty. */
        CHECK_INT(dbus_introspection_parse("<node/>", &i), 0);
        CHECK(i && i->n_interfaces == 0);
        dbus_introspection_free(i);
}

static void test_signatures(void)
{
        static const struct {
                const char *sig;
                int r;
                size_t n;
        } cases[] = {
            {"", 0, 0},
            {"s", 0, 1},
            {"a{sv}as(iu)v", 0, 4},
            {"aa{s(ii)}", 0, 1},
            {"a", -EINVAL, 0},
            {"{sv}", -EINVAL, 0},
            {"a{vs}", -EINVAL, 0},
            {"a{s}", -EINVAL, 0},
            {"a{sss}", -EINVAL, 0},
            {"()", -EINVAL, 0},
            {"(s", -EINVAL, 0},
            {"s)", -EINVAL, 0},
            {"h", -EPERM, 0},
            {"a{sh}", -EPERM, 0},
        };
        char deep[80];
        const char *why;
        size_t n;

        for (size_t k = 0; k < ELEMENTSOF(cases); k++) {
                n = 0;
                CHECK_INT(dbus_signature_check(cases[k].sig, &n, &why), cases[k].r);
                if (cases[k].r == 0)
                        CHECK_INT(n, cases[k].n);
        }
        /* 32 levels of arrays are allowed, 33 are not. */
        memset(deep, 'a', 32);
        strcpy(deep + 32, "s");
        CHECK_INT(dbus_signature_check(deep, &n, &why), 0);
        memset(deep, 'a', 33);
        strcpy(deep + 33, "s");
        CHECK_INT(dbus_signature_check(deep, &n, &why), -EINVAL);
        CHECK_STREQ(why, "arrays nested too deeply");
}

int main(void)
{
        test_sdbus();
        test_gdbus();
        test_refused();
        test_signatures();
        return TESTS_RESULT();
}
