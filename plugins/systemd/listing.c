/* SPDX-License-Identifier: MIT */
/*
 * The listing of the allowed units, in two calls:
 *
 *   ListUnitsByPatterns(states: any, patterns: units:)     the units systemd has loaded
 *   ListUnitFilesByPatterns(states: any, patterns: units:) the unit files installed
 *
 * A stopped, disabled service is usually not loaded: only its unit file tells that it
 * exists, so the files add what the first call lacks, as "not-loaded", inactive (dead), and
 * give every unit its unit-file state (enabled, disabled, masked, ...). Template files
 * ("foo@.service") are left out: nothing can start them without an instance; alias files
 * too: their unit is listed under its own name. Older systemd (before 230) lacks the
 * ...ByPatterns methods: ListUnits and ListUnitFiles then list everything. Either way every
 * name is checked against the allow-list here, and the result is sorted by name.
 */
#include <stdlib.h>

#include "log.h"
#include "systemd-internal.h"

/* ---- Units ---- */

void sysd_unit_done(struct sysd_unit *u)
{
        free(u->name);
        free(u->description);
        free(u->load);
        free(u->active);
        free(u->sub);
        free(u->path);
        free(u->file_state);
        *u = (struct sysd_unit){0};
}

void sysd_units_free(struct sysd_unit *v, size_t n)
{
        for (size_t i = 0; i < n; i++)
                sysd_unit_done(&v[i]);
        free(v);
}

static struct sysd_unit *units_find(struct sysd_unit *v, size_t n, const char *name)
{
        for (size_t i = 0; i < n; i++)
                if (streq(v[i].name, name))
                        return &v[i];
        return NULL;
}

bool sysd_unit_is_masked(const struct sysd_unit *u)
{
        return streq(u->load, "masked") ||
               (u->file_state && strncmp(u->file_state, "masked", 6) == 0);
}

bool sysd_unit_offered(const struct sysd_unit *u, enum sysd_verb verb)
{
        if (verb == SYSD_VERB_STATUS || !sysd_unit_is_masked(u))
                return true;
        /* A masked unit cannot be started; one still running may be stopped or reloaded. */
        return (verb == SYSD_VERB_STOP || verb == SYSD_VERB_RELOAD) &&
               !streq(u->active, "inactive");
}

int sysd_units_add_file(const struct sysd_config *cfg, struct sysd_unit **units, size_t *n,
                        const char *path, const char *state)
{
        const char *name = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
        const char *at = strchr(name, '@');
        struct sysd_unit *u;

        if (!sysd_config_allows_unit(cfg, name) || (at && at[1] == '.'))
                return 0;
        u = units_find(*units, *n, name);
        if (u) {
                if (!u->file_state && !(u->file_state = sysd_text_clean(state, 32)))
                        return -ENOMEM;
                return 0;
        }
        if (streq(state, "alias") || *n >= SYSD_UNITS_MAX)
                return 0;
        u = array_grow((void **)units, n, sizeof(*u));
        if (!u)
                return -ENOMEM;
        /* Truthful without loading it: systemd has not read the file, so it is not running. */
        u->name = strdup(name);
        u->description = strdup("");
        u->load = strdup("not-loaded");
        u->active = strdup("inactive");
        u->sub = strdup("dead");
        u->file_state = sysd_text_clean(state, 32);
        if (!u->name || !u->description || !u->load || !u->active || !u->sub || !u->file_state)
                return -ENOMEM;
        return 1;
}

static int unit_compare(const void *a, const void *b)
{
        return strcmp(((const struct sysd_unit *)a)->name, ((const struct sysd_unit *)b)->name);
}

void sysd_units_sort(struct sysd_unit *v, size_t n)
{
        if (n > 1)
                qsort(v, n, sizeof(*v), unit_compare);
}

/* ---- Reading the replies ---- */

static int read_units(const struct sysd_config *cfg, sd_bus_message *m, struct sysd_unit **units,
                      size_t *n)
{
        int r;

        r = sd_bus_message_enter_container(m, 'a', "(ssssssouso)");
        while (r >= 0) {
                const char *name, *desc, *load, *active, *sub, *following, *path, *jt, *jp;
                uint32_t job;
                struct sysd_unit *u;

                r = sd_bus_message_read(m, "(ssssssouso)", &name, &desc, &load, &active, &sub,
                                        &following, &path, &job, &jt, &jp);
                if (r <= 0)
                        break;
                if (!sysd_config_allows_unit(cfg, name) || *n >= SYSD_UNITS_MAX ||
                    units_find(*units, *n, name))
                        continue;
                u = array_grow((void **)units, n, sizeof(*u));
                if (!u)
                        return -ENOMEM;
                u->name = strdup(name);
                u->description = sysd_text_clean(desc, SYSD_LINE_MAX);
                u->load = sysd_text_clean(load, 32);
                u->active = sysd_text_clean(active, 32);
                u->sub = sysd_text_clean(sub, 32);
                u->path = strdup(path);
                if (!u->name || !u->description || !u->load || !u->active || !u->sub || !u->path)
                        return -ENOMEM;
        }
        return r;
}

static int read_files(const struct sysd_config *cfg, sd_bus_message *m, struct sysd_unit **units,
                      size_t *n)
{
        int r;

        r = sd_bus_message_enter_container(m, 'a', "(ss)");
        while (r >= 0) {
                const char *path, *state;

                r = sd_bus_message_read(m, "(ss)", &path, &state);
                if (r <= 0)
                        break;
                r = sysd_units_add_file(cfg, units, n, path, state);
        }
        return r;
}

/* ---- The calls ---- */

static int list_call(struct sysd_listing *l);

static void listing_done(struct sysd_listing *l, const sd_bus_error *e)
{
        struct sysd_unit *units = l->units;
        size_t n = l->n_units;

        l->units = NULL;
        l->n_units = 0;
        if (e) {
                sysd_units_free(units, n);
                l->done(l, e, NULL, 0);
                return;
        }
        sysd_units_sort(units, n);
        l->done(l, NULL, units, n); /* takes units */
}

static int on_listed(sd_bus_message *reply, void *userdata, sd_bus_error *ret_error)
{
        struct sysd_listing *l = userdata;
        const sd_bus_error *e = sd_bus_message_get_error(reply);
        int r;

        l->slot = sd_bus_slot_unref(l->slot);
        if (e && !l->fallback && sd_bus_error_has_name(e, SD_BUS_ERROR_UNKNOWN_METHOD)) {
                /* systemd before 230: list everything, filter here. */
                l->fallback = true;
                /* Without the unit files, the loaded units are still worth showing. */
                if (list_call(l) < 0)
                        listing_done(l, l->files ? NULL
                                                 : &SD_BUS_ERROR_MAKE_CONST(
                                                       SD_BUS_ERROR_DISCONNECTED, "bus is down"));
                return 0;
        }
        if (e && l->files) {
                /* The loaded units are known: better those than nothing. */
                log_warning("systemd: cannot list the unit files (%s: %s): units that are not "
                            "loaded are not shown",
                            strempty(e->name), strempty(e->message));
                listing_done(l, NULL);
                return 0;
        }
        if (e) {
                listing_done(l, e);
                return 0;
        }
        r = l->files ? read_files(l->s->cfg, reply, &l->units, &l->n_units)
                     : read_units(l->s->cfg, reply, &l->units, &l->n_units);
        if (r < 0) {
                listing_done(l, &SD_BUS_ERROR_MAKE_CONST(SD_BUS_ERROR_INVALID_ARGS,
                                                         l->files ? "unreadable unit-file list"
                                                                  : "unreadable unit list"));
                return 0;
        }
        if (l->files) {
                listing_done(l, NULL);
                return 0;
        }
        l->files = true;
        l->fallback = false;
        if (list_call(l) < 0)
                listing_done(l, NULL);
        return 0;
}

static int list_call(struct sysd_listing *l)
{
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL;
        static const char *const methods[2][2] = {
            {"ListUnitsByPatterns", "ListUnits"},
            {"ListUnitFilesByPatterns", "ListUnitFiles"},
        };
        int r;

        r = sysd_method_new(l->s, SYSD_PATH, SYSD_MANAGER, methods[l->files][l->fallback], &m);
        if (r >= 0 && !l->fallback) {
                r = sd_bus_message_append_strv(m, NULL); /* states: any */
                if (r >= 0)
                        r = sd_bus_message_append_strv(m, l->s->cfg->units);
        }
        if (r < 0)
                return r;
        return sysd_call(l->s, m, &l->slot, on_listed, l);
}

int sysd_list_units(struct sysd *s, struct sysd_listing *l)
{
        sysd_listing_cancel(l);
        l->s = s;
        l->fallback = false;
        l->files = false;
        return list_call(l);
}

void sysd_listing_cancel(struct sysd_listing *l)
{
        l->slot = sd_bus_slot_unref(l->slot);
        sysd_units_free(l->units, l->n_units);
        l->units = NULL;
        l->n_units = 0;
}
