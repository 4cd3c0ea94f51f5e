/* SPDX-License-Identifier: MIT */
/*
 * org.freedesktop.DBus.Introspectable data: which methods and properties an object has, with
 * their types and the names of output arguments. The XML is parsed by libstrophe's parser
 * (expat), which builds a tree of stanzas; only the prolog (XML declaration, DOCTYPE,
 * comments), which a stanza cannot hold, is skipped here. A DOCTYPE with an internal subset
 * is refused: introspection data never needs entity declarations.
 */
#include <strophe.h>

#include "dbus.h"

static void method_done(struct dbus_imethod *m)
{
        free(m->name);
        free(m->in_signature);
        free(m->out_signature);
        strv_free(m->in_names);
        strv_free(m->out_names);
}

static void interface_done(struct dbus_iinterface *i)
{
        free(i->name);
        for (size_t k = 0; k < i->n_methods; k++)
                method_done(&i->methods[k]);
        free(i->methods);
        for (size_t k = 0; k < i->n_properties; k++) {
                free(i->properties[k].name);
                free(i->properties[k].type);
        }
        free(i->properties);
}

struct dbus_introspection *dbus_introspection_free(struct dbus_introspection *i)
{
        if (!i)
                return NULL;
        for (size_t k = 0; k < i->n_interfaces; k++)
                interface_done(&i->interfaces[k]);
        free(i->interfaces);
        free(i);
        return NULL;
}

/* Skips "<?...?>", "<!DOCTYPE ...>" and "<!--...-->" before the root element. */
static const char *skip_prolog(const char *s)
{
        for (;;) {
                const char *end;

                s += strspn(s, " \t\r\n");
                if (strncmp(s, "<?", 2) == 0) {
                        end = strstr(s, "?>");
                        if (!end)
                                return NULL;
                        s = end + 2;
                } else if (strncmp(s, "<!--", 4) == 0) {
                        end = strstr(s + 4, "-->");
                        if (!end)
                                return NULL;
                        s = end + 3;
                } else if (strncmp(s, "<!DOCTYPE", 9) == 0) {
                        end = strchr(s, '>');
                        if (!end || memchr(s, '[', (size_t)(end - s)))
                                return NULL;
                        s = end + 1;
                } else {
                        return *s == '<' ? s : NULL;
                }
        }
}

static bool is_one_type(const char *t)
{
        size_t k;

        return t && dbus_type_length(t, &k) >= 0 && t[k] == '\0';
}

static int strcat_alloc(char **s, const char *add)
{
        size_t a = strlen(*s), b = strlen(add);
        char *n;

        if (a + b > DBUS_SIGNATURE_MAX)
                return -EINVAL;
        n = realloc(*s, a + b + 1);
        if (!n)
                return -ENOMEM;
        memcpy(n + a, add, b + 1);
        *s = n;
        return 0;
}

/* Returns 0 with *ret filled, -EINVAL for a method to skip (bad types), -ENOMEM. */
static int parse_method(xmpp_stanza_t *st, struct dbus_imethod *ret)
{
        struct dbus_imethod m = {0};
        int r = -ENOMEM;

        m.name = strdup_or_null(xmpp_stanza_get_attribute(st, "name"));
        m.in_signature = strdup("");
        m.out_signature = strdup("");
        m.in_names = calloc(1, sizeof(char *));
        m.out_names = calloc(1, sizeof(char *));
        if (!m.name || !m.in_signature || !m.out_signature || !m.in_names || !m.out_names)
                goto fail;
        for (xmpp_stanza_t *a = xmpp_stanza_get_children(st); a; a = xmpp_stanza_get_next(a)) {
                const char *type, *dir, *name;

                if (!xmpp_stanza_is_tag(a) || !streq(xmpp_stanza_get_name(a), "arg"))
                        continue;
                type = xmpp_stanza_get_attribute(a, "type");
                dir = xmpp_stanza_get_attribute(a, "direction");
                name = xmpp_stanza_get_attribute(a, "name");
                if (!is_one_type(type)) {
                        r = -EINVAL;
                        goto fail;
                }
                if (streq_ptr(dir, "out")) {
                        r = strcat_alloc(&m.out_signature, type);
                        if (r == 0)
                                r = strv_extend(&m.out_names, strempty(name));
                } else {
                        r = strcat_alloc(&m.in_signature, type);
                        if (r == 0)
                                r = strv_extend(&m.in_names, strempty(name));
                }
                if (r < 0)
                        goto fail;
        }
        *ret = m;
        return 0;
fail:
        method_done(&m);
        return r;
}

static int parse_property(xmpp_stanza_t *st, struct dbus_iproperty *ret)
{
        const char *name = xmpp_stanza_get_attribute(st, "name");
        const char *type = xmpp_stanza_get_attribute(st, "type");
        const char *access = xmpp_stanza_get_attribute(st, "access");

        if (!name || !is_one_type(type))
                return -EINVAL;
        *ret = (struct dbus_iproperty){
            .name = strdup(name),
            .type = strdup(type),
            .readable = !access || strstr(access, "read"),
            .writable = !access || strstr(access, "write"),
        };
        if (!ret->name || !ret->type) {
                free(ret->name);
                free(ret->type);
                return -ENOMEM;
        }
        return 0;
}

static int parse_member(xmpp_stanza_t *c, struct dbus_iinterface *iface)
{
        const char *what = xmpp_stanza_get_name(c);
        int r;

        if (streq(what, "method") && xmpp_stanza_get_attribute(c, "name")) {
                struct dbus_imethod m, *slot;

                r = parse_method(c, &m);
                if (r < 0)
                        return r == -EINVAL ? 0 : r; /* a method with bad types is skipped */
                slot = array_grow((void **)&iface->methods, &iface->n_methods, sizeof(m));
                if (!slot) {
                        method_done(&m);
                        return -ENOMEM;
                }
                *slot = m;
        } else if (streq(what, "property")) {
                struct dbus_iproperty p, *slot;

                r = parse_property(c, &p);
                if (r < 0)
                        return r == -EINVAL ? 0 : r;
                slot = array_grow((void **)&iface->properties, &iface->n_properties, sizeof(p));
                if (!slot) {
                        free(p.name);
                        free(p.type);
                        return -ENOMEM;
                }
                *slot = p;
        }
        return 0;
}

static int parse_interface(xmpp_stanza_t *st, struct dbus_introspection *intro)
{
        const char *name = xmpp_stanza_get_attribute(st, "name");
        struct dbus_iinterface *iface;
        int r;

        if (!name)
                return 0;
        iface = array_grow((void **)&intro->interfaces, &intro->n_interfaces, sizeof(*iface));
        if (!iface)
                return -ENOMEM;
        iface->name = strdup(name);
        if (!iface->name)
                return -ENOMEM;
        for (xmpp_stanza_t *c = xmpp_stanza_get_children(st); c; c = xmpp_stanza_get_next(c)) {
                if (!xmpp_stanza_is_tag(c))
                        continue;
                r = parse_member(c, iface);
                if (r < 0)
                        return r;
        }
        return 0;
}

static int parse_tree(xmpp_stanza_t *root, struct dbus_introspection **ret)
{
        _cleanup_(dbus_introspection_freep) struct dbus_introspection *intro = NULL;
        int r;

        if (!streq_ptr(xmpp_stanza_get_name(root), "node"))
                return -EINVAL;
        intro = zalloc(sizeof(*intro));
        if (!intro)
                return -ENOMEM;
        for (xmpp_stanza_t *c = xmpp_stanza_get_children(root); c; c = xmpp_stanza_get_next(c)) {
                if (!xmpp_stanza_is_tag(c) || !streq(xmpp_stanza_get_name(c), "interface"))
                        continue;
                r = parse_interface(c, intro);
                if (r < 0)
                        return r;
        }
        *ret = TAKE_PTR(intro);
        return 0;
}

int dbus_introspection_parse(const char *xml, struct dbus_introspection **ret)
{
        xmpp_stanza_t *root;
        xmpp_ctx_t *ctx;
        const char *body;
        int r;

        if (strlen(xml) > DBUS_INTROSPECTION_MAX)
                return -E2BIG;
        body = skip_prolog(xml);
        if (!body)
                return -EINVAL;
        /* A context of its own: no logger, and nothing shared with the XMPP connection. */
        ctx = xmpp_ctx_new(NULL, NULL);
        if (!ctx)
                return -ENOMEM;
        root = xmpp_stanza_new_from_string(ctx, body);
        r = root ? parse_tree(root, ret) : -EINVAL;
        if (root)
                xmpp_stanza_release(root);
        xmpp_ctx_free(ctx);
        return r;
}

const struct dbus_iinterface *dbus_introspection_find_interface(const struct dbus_introspection *i,
                                                                const char *name)
{
        for (size_t k = 0; i && k < i->n_interfaces; k++)
                if (streq(i->interfaces[k].name, name))
                        return &i->interfaces[k];
        return NULL;
}

const struct dbus_imethod *dbus_introspection_find_method(const struct dbus_introspection *i,
                                                          const char *interface, const char *name)
{
        const struct dbus_iinterface *iface = dbus_introspection_find_interface(i, interface);

        for (size_t k = 0; iface && k < iface->n_methods; k++)
                if (streq(iface->methods[k].name, name))
                        return &iface->methods[k];
        return NULL;
}

const struct dbus_iproperty *dbus_introspection_find_property(const struct dbus_introspection *i,
                                                              const char *interface,
                                                              const char *name)
{
        const struct dbus_iinterface *iface = dbus_introspection_find_interface(i, interface);

        for (size_t k = 0; iface && k < iface->n_properties; k++)
                if (streq(iface->properties[k].name, name))
                        return &iface->properties[k];
        return NULL;
}
