/* SPDX-License-Identifier: MIT */
/*
 * Remote status control, in the spirit of XEP-0146. When presence.control is set, the feature
 * adds the command presence/set-status for those it admits:
 *
 *   presence:
 *     control: admins            # an access-list name, or {groups: [...], jids: [...]}
 *
 * Its form is built each time it is shown and starts with what is published at that moment;
 * submitting it sets a manual show and status for a while or until cleared, or clears it (the
 * computed status comes back). Alerts keep following the machine meanwhile.
 *
 * The command is generated, never written: its action is not listed in builtin_actions[], so a
 * "presence_control:" key in a command is an unknown key.
 */
#include "action.h"
#include "log.h"
#include "presence-internal.h"

/*
 * The running feature. The engine hands an action only its configuration (owned by the
 * policy), never the feature's state, so the action reaches that state through this pointer.
 * A process runs at most one presence feature: a policy has one presence: section, and a
 * reload stops the old feature before it starts the new one (which then attaches itself).
 */
static void *running;

void presence_control_attach(void *state)
{
        running = state;
}

void presence_control_detach(void *state)
{
        if (running == state)
                running = NULL;
}

struct choice {
        const char *value;
        const char *en, *fr;
        usec_t duration; /* of a duration choice; 0: until cleared */
};

static const struct choice show_choices[] = {
    {"available", "Available", "Disponible", 0},
    {"chat", "Free for chat", "Disponible pour discuter", 0},
    {"away", "Away", "Absent", 0},
    {"xa", "Extended away", "Absent pour longtemps", 0},
    {"dnd", "Do not disturb", "Ne pas déranger", 0},
};

static const struct choice duration_choices[] = {
    {"15m", "15 minutes", "15 minutes", 15 * 60 * USEC_PER_SEC},
    {"1h", "1 hour", "1 heure", 3600 * USEC_PER_SEC},
    {"4h", "4 hours", "4 heures", 4 * 3600 * USEC_PER_SEC},
    {"24h", "1 day", "1 jour", 24 * 3600 * USEC_PER_SEC},
    {"forever", "Until cleared", "Jusqu'à ce qu'il soit effacé", 0},
};

#define DEFAULT_SHOW     "away"
#define DEFAULT_DURATION "1h"

/* Sets t to an English and a French text. */
static int text_set(struct i18n *t, const char *en, const char *fr)
{
        const char *const pairs[][2] = {{"en", en}, {"fr", fr}};

        i18n_done(t);
        for (size_t i = 0; i < ELEMENTSOF(pairs); i++) {
                struct i18n_entry *e = array_grow((void **)&t->v, &t->n, sizeof(*e));

                if (!e)
                        return -ENOMEM;
                e->lang = strdup(pairs[i][0]);
                e->text = strdup(pairs[i][1]);
                if (!e->lang || !e->text)
                        return -ENOMEM;
        }
        return 0;
}

static struct form_field *add_field(struct form *f, const char *var, enum form_field_type type,
                                    const char *en, const char *fr)
{
        struct form_field *field = array_grow((void **)&f->fields, &f->n_fields, sizeof(*field));

        if (!field)
                return NULL;
        field->type = type;
        if (var && !(field->var = strdup(var)))
                return NULL;
        if (text_set(&field->label, en, fr) < 0)
                return NULL;
        return field;
}

static int add_option(struct form_field *field, const struct choice *c)
{
        struct form_option *o = array_grow((void **)&field->options, &field->n_options, sizeof(*o));

        if (!o || !(o->value = strdup(c->value)))
                return -ENOMEM;
        return text_set(&o->label, c->en, c->fr);
}

static int add_list(struct form *f, const char *var, const char *en, const char *fr,
                    const char *def, const struct choice *choices, size_t n)
{
        struct form_field *field = add_field(f, var, FORM_FIELD_LIST_SINGLE, en, fr);

        if (!field || strv_extend(&field->defaults, def) < 0)
                return -ENOMEM;
        for (size_t i = 0; i < n; i++) {
                int r = add_option(field, &choices[i]);
                if (r < 0)
                        return r;
        }
        return 0;
}

static int build_fields(struct form *f, const char *now)
{
        struct form_field *field;
        int r;

        r = text_set(&f->title, "Set the status", "Changer le statut");
        if (r >= 0)
                r = text_set(&f->instructions,
                             "A manual status replaces the computed one for a while. Alerts "
                             "keep following the machine.",
                             "Un statut manuel remplace le statut calculé pendant un temps. Les "
                             "alertes continuent de suivre la machine.");
        if (r < 0)
                return r;
        field = add_field(f, NULL, FORM_FIELD_FIXED, "Published now", "Publié actuellement");
        if (!field || strv_extend(&field->defaults, now) < 0)
                return -ENOMEM;
        r = add_list(f, "show", "Show", "Disponibilité", DEFAULT_SHOW, show_choices,
                     ELEMENTSOF(show_choices));
        if (r < 0)
                return r;
        field = add_field(f, "status", FORM_FIELD_TEXT_SINGLE, "Status text", "Texte du statut");
        if (!field || text_set(&field->desc, "One line; empty: no text",
                               "Une ligne ; vide : pas de texte") < 0)
                return -ENOMEM;
        r = add_list(f, "duration", "For", "Pendant", DEFAULT_DURATION, duration_choices,
                     ELEMENTSOF(duration_choices));
        if (r < 0)
                return r;
        field = add_field(f, "clear", FORM_FIELD_BOOLEAN,
                          "Clear the manual status (publish the computed one again)",
                          "Effacer le statut manuel (publier de nouveau le statut calculé)");
        if (!field || strv_extend(&field->defaults, "0") < 0)
                return -ENOMEM;
        return 0;
}

static int control_build_form(const void *cfg, const struct action_call *call, struct form **ret)
{
        _cleanup_(form_freep) struct form *f = NULL;
        _cleanup_free_ char *now = NULL;
        int r;

        if (!running)
                return -ENODEV;
        r = presence_describe(running, &now);
        if (r < 0)
                return r;
        f = zalloc(sizeof(*f));
        if (!f)
                return -ENOMEM;
        r = build_fields(f, now);
        if (r < 0)
                return r;
        *ret = TAKE_PTR(f);
        return 0;
}

static const struct choice *find_duration(const char *value)
{
        for (size_t i = 0; i < ELEMENTSOF(duration_choices); i++)
                if (streq_ptr(value, duration_choices[i].value))
                        return &duration_choices[i];
        return NULL;
}

static const struct choice *duration_of(const char *value)
{
        const struct choice *c = find_duration(value);

        /* The form only lets offered values through; without a value, its default (listed). */
        return c ? c : find_duration(DEFAULT_DURATION);
}

/* Applies the submitted values; the result says what is published now. */
static int apply(const struct action_call *call, struct action_result *res)
{
        const char *show = form_values_first(call->values, "show"),
                   *text = form_values_first(call->values, "status"),
                   *dur_value = form_values_first(call->values, "duration");
        const struct choice *dur = duration_of(dur_value);
        _cleanup_free_ char *now = NULL;
        int r;

        if (streq_ptr(form_values_first(call->values, "clear"), "1")) {
                presence_clear_manual(running);
                log_info("presence: %s cleared the manual status", call->requester_bare);
        } else {
                r = presence_set_manual(running, show ? show : DEFAULT_SHOW, text, dur->duration);
                if (r == -EINVAL) {
                        res->error = r;
                        return action_result_add_note(
                            res, NOTE_ERROR, "Status text: at most 1024 bytes of one-line text");
                }
                if (r < 0)
                        return r;
                log_info("presence: %s set the status to %s '%s' (%s)", call->requester_bare,
                         show ? show : DEFAULT_SHOW, strempty(text), dur->en);
        }
        r = presence_describe(running, &now);
        if (r < 0)
                return r;
        return action_result_add_note(res, NOTE_INFO, "Now published: %s", now);
}

static int control_start(struct action_call *call)
{
        _cleanup_(action_result_freep) struct action_result *res = action_result_new();
        int r;

        if (!res)
                return -ENOMEM;
        if (!running) {
                /* Hidden while nothing runs; only a request racing a reload gets here. */
                res->error = -EAGAIN;
                r = action_result_add_note(res, NOTE_ERROR, "Presence monitoring is not running");
        } else {
                r = apply(call, res);
        }
        if (r < 0)
                return r;
        action_call_complete(call, TAKE_PTR(res));
        return 0;
}

static bool control_available(const void *cfg)
{
        return running != NULL;
}

static int control_parse(const struct ynode *n, const struct form *form, void **ret_cfg,
                         struct diags *d)
{
        return ynode_error(n, d, "this action is only generated by presence.control");
}

const struct action_ops presence_control_action = {
    .key = "presence_control",
    .parse = control_parse,
    .start = control_start,
    .build_form = control_build_form,
    .available = control_available,
};

int presence_control_add_command(const struct presence_config *c, const struct ynode *where,
                                 struct command_sink *sink)
{
        _cleanup_(i18n_done) struct i18n name = {0};
        struct command_spec spec = {
            .node = PRESENCE_CONTROL_NODE,
            .name = &name,
            .allow_access = &c->control,
            .action = &presence_control_action,
            .where = where,
        };
        int r;

        r = text_set(&name, "Set status", "Changer le statut");
        if (r < 0)
                return r;
        return command_sink_add(sink, &spec);
}
