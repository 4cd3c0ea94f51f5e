/* SPDX-License-Identifier: MIT */
/*
 * presence/set-status on a real sd-event loop: the generated command's action is hidden while
 * the feature does not run, builds its form with what is published at that moment, sets a
 * manual status (until cleared or for a duration), clears it, and rejects an unusable text.
 */
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include "presence-host.h"

static char root[] = "/tmp/test-presence-control-XXXXXX";

/* What the command answered. */
static struct {
        struct action_result *result;
        unsigned n_completed;
} done;

static void on_complete(struct action_call *call, struct action_result *result)
{
        done.n_completed++;
        action_result_free(done.result);
        done.result = result;
}

static struct policy *load(void)
{
        char yaml[1024];
        struct policy *p = NULL;
        struct ynode *doc = NULL;
        struct diags d = {0};

        snprintf(yaml, sizeof(yaml),
                 "account: {jid: agent@example.org, password_file: pw}\n"
                 "access: {admins: {jids: [alice@example.org]}}\n"
                 "presence:\n"
                 "  interval: 1s\n"
                 "  root: %s\n"
                 "  status: \"load {load1}\"\n"
                 "  probes: {builtin: [load]}\n"
                 "  control: admins\n",
                 root);
        CHECK_INT(ynode_parse(yaml, strlen(yaml), "control.yaml", &doc, &d), 0);
        CHECK_INT(policy_from_ynodes((const struct ynode *const *)&doc, 1, &p, &d), 0);
        if (d.n)
                diags_print(&d, stderr);
        ynode_free(doc);
        diags_done(&d);
        return p;
}

static const struct form_field *field(const struct form *f, enum form_field_type type,
                                      const char *var)
{
        for (size_t i = 0; f && i < f->n_fields; i++)
                if (f->fields[i].type == type && streq_ptr(f->fields[i].var, var))
                        return &f->fields[i];
        return NULL;
}

static bool has_option(const struct form_field *f, const char *value)
{
        for (size_t i = 0; f && i < f->n_options; i++)
                if (streq(f->options[i].value, value))
                        return true;
        return false;
}

/* The text of the fixed field: what is published. */
static char *form_now(const struct command *cmd, struct action_call *call)
{
        struct form *f = NULL;
        const struct form_field *fx;
        char *s = NULL;

        CHECK_INT(cmd->action->build_form(cmd->action_cfg, call, &f), 0);
        fx = field(f, FORM_FIELD_FIXED, NULL);
        CHECK(fx && fx->defaults && fx->defaults[0]);
        if (fx && fx->defaults && fx->defaults[0])
                s = strdup(fx->defaults[0]);
        form_free(f);
        return s;
}

static void check_form(const struct command *cmd, struct action_call *call)
{
        const struct form_field *show, *status, *dur, *clear;
        struct form *f = NULL;

        CHECK_INT(cmd->action->build_form(cmd->action_cfg, call, &f), 0);
        if (!f)
                return;
        CHECK_STREQ(i18n_pick(&f->title, NULL), "Set the status");
        CHECK(field(f, FORM_FIELD_FIXED, NULL) == &f->fields[0]); /* what is published, first */
        show = field(f, FORM_FIELD_LIST_SINGLE, "show");
        CHECK(show && show->n_options == 5);
        CHECK(has_option(show, "available") && has_option(show, "chat") &&
              has_option(show, "away") && has_option(show, "xa") && has_option(show, "dnd"));
        CHECK(show && show->defaults && streq(show->defaults[0], "away"));
        CHECK(show && streq(i18n_pick(&show->options[4].label, NULL), "Do not disturb"));
        status = field(f, FORM_FIELD_TEXT_SINGLE, "status");
        CHECK(status && !status->required);
        dur = field(f, FORM_FIELD_LIST_SINGLE, "duration");
        CHECK(has_option(dur, "15m") && has_option(dur, "1h") && has_option(dur, "4h") &&
              has_option(dur, "forever"));
        CHECK(dur && dur->defaults && streq(dur->defaults[0], "1h"));
        clear = field(f, FORM_FIELD_BOOLEAN, "clear");
        CHECK(clear && clear->defaults && streq(clear->defaults[0], "0"));
        form_free(f);
}

/* The same form for a French requester: built in their language. */
static void check_form_in_french(const struct command *cmd, struct action_call *call)
{
        const struct form_field *show, *status, *dur;
        struct form *f = NULL;

        call->lang = "fr";
        CHECK_INT(cmd->action->build_form(cmd->action_cfg, call, &f), 0);
        call->lang = NULL;
        if (!f)
                return;
        CHECK_STREQ(i18n_pick(&f->title, NULL), "Changer le statut");
        CHECK_STREQ(i18n_pick(&f->fields[0].label, NULL), "Publié actuellement");
        CHECK_STREQ(f->fields[0].defaults[0], "rien de publié pour l'instant");
        show = field(f, FORM_FIELD_LIST_SINGLE, "show");
        CHECK(show && streq(i18n_pick(&show->label, NULL), "Disponibilité"));
        CHECK(show && streq(i18n_pick(&show->options[4].label, NULL), "Ne pas déranger"));
        status = field(f, FORM_FIELD_TEXT_SINGLE, "status");
        CHECK(status && streq(i18n_pick(&status->desc, NULL), "Une ligne ; vide : pas de texte"));
        dur = field(f, FORM_FIELD_LIST_SINGLE, "duration");
        CHECK(dur && streq(i18n_pick(&dur->options[1].label, NULL), "1 heure"));
        form_free(f);
}

/* Runs the action with these values; returns its single note (NULL: none). */
static const char *run(const struct command *cmd, struct action_call *call, const char *show,
                       const char *status, const char *duration, const char *clear)
{
        struct form_values v = {0};
        const char *const pairs[][2] = {
            {"show", show}, {"status", status}, {"duration", duration}, {"clear", clear}};
        unsigned before = done.n_completed;

        for (size_t i = 0; i < ELEMENTSOF(pairs); i++) {
                char *vals[] = {(char *)pairs[i][1], NULL};
                if (pairs[i][1])
                        CHECK_INT(form_values_set(&v, pairs[i][0], vals, false), 0);
        }
        call->values = &v;
        CHECK_INT(cmd->action->start(call), 0);
        call->values = NULL;
        form_values_done(&v);
        /* Synchronous: completed before start() returned. */
        CHECK_INT(done.n_completed, before + 1);
        CHECK(done.result && done.result->n_notes == 1);
        return done.result && done.result->n_notes == 1 ? done.result->notes[0].text : NULL;
}

int main(void)
{
        struct feature_host host = fake_host();
        struct action_call call = {
            .node = PRESENCE_CONTROL_NODE,
            .requester = "alice@example.org/phone",
            .requester_bare = "alice@example.org",
            .complete = on_complete,
        };
        char proc[600], long_text[1100], *s;
        const struct command *cmd;
        struct policy *p;
        void *state = NULL;
        sd_event *e = NULL;

        if (!mkdtemp(root))
                return 1;
        snprintf(proc, sizeof(proc), "%s/proc", root);
        mkdir(proc, 0755);
        write_file_in(root, "proc/loadavg", "0.52 0.40 0.30 1/100 42\n");
        p = load();
        cmd = p ? policy_find_command(p, PRESENCE_CONTROL_NODE) : NULL;
        CHECK(cmd != NULL);
        if (!cmd)
                return TESTS_RESULT();
        call.cfg = cmd->action_cfg;

        /* Nothing runs: the command is hidden, and a racing request is told so. */
        CHECK(!command_is_available(cmd));
        {
                struct form *f = NULL;
                CHECK(cmd->action->build_form(cmd->action_cfg, &call, &f) < 0 && !f);
        }
        CHECK_STREQ(run(cmd, &call, "dnd", NULL, "1h", "0"), "Presence monitoring is not running");
        CHECK(done.result && done.result->error == -EAGAIN);
        call.lang = "fr";
        CHECK_STREQ(run(cmd, &call, "dnd", NULL, "1h", "0"),
                    "La surveillance de présence n'est pas lancée");
        call.lang = NULL;
        CHECK_INT(fake.n_published, 0);

        CHECK_INT(sd_event_new(&e), 0);
        host.event = e;
        host.agent = &fake;
        call.event = e;
        CHECK_INT(p->features[0].ops->start(&host, p->features[0].cfg, &state), 0);
        CHECK(command_is_available(cmd));

        /* The form before and after the first probe run. */
        check_form(cmd, &call);
        check_form_in_french(cmd, &call);
        s = form_now(cmd, &call);
        CHECK_STREQ(s, "nothing published yet");
        free(s);
        for (int i = 0; i < 10000 && fake.n_published < 1; i++)
                CHECK(sd_event_run(e, UINT64_MAX) >= 0);
        CHECK_STREQ(fake.text, "load 0.52");
        s = form_now(cmd, &call);
        CHECK_STREQ(s, "available: load 0.52");
        free(s);

        /* Set until cleared: published at once, and the form shows it. */
        CHECK_STREQ(run(cmd, &call, "dnd", "maintenance", "forever", "0"),
                    "Now published: dnd: maintenance (manual, until cleared)");
        CHECK(done.result && done.result->error == 0);
        CHECK_STREQ(fake.show, "dnd");
        CHECK_STREQ(fake.text, "maintenance");
        s = form_now(cmd, &call);
        CHECK_STREQ(s, "dnd: maintenance (manual, until cleared)");
        free(s);

        /* For a duration; no text. */
        CHECK_STREQ(run(cmd, &call, "xa", NULL, "15m", "0"),
                    "Now published: xa (manual, 15 min left)");
        CHECK_STREQ(fake.show, "xa");
        CHECK(fake.text == NULL);
        CHECK_STREQ(run(cmd, &call, "chat", "", "4h", "0"),
                    "Now published: chat (manual, 240 min left)");
        /* The notes of a French requester; the show and the text stay as published. */
        call.lang = "fr";
        CHECK_STREQ(run(cmd, &call, "dnd", "maintenance", "1h", "0"),
                    "Publié maintenant : dnd : maintenance (manuel, encore 60 min)");
        call.lang = NULL;
        CHECK_STREQ(run(cmd, &call, "chat", "", "4h", "0"),
                    "Now published: chat (manual, 240 min left)");

        /* A text presence refuses: the note names the field, nothing changes. */
        memset(long_text, 'x', sizeof(long_text) - 1);
        long_text[sizeof(long_text) - 1] = '\0';
        CHECK_STREQ(run(cmd, &call, "away", long_text, "1h", "0"),
                    "Status text: at most 1024 bytes of one-line text");
        CHECK(done.result && done.result->error == -EINVAL);
        CHECK_STREQ(fake.show, "chat");
        call.lang = "fr-BE";
        CHECK_STREQ(run(cmd, &call, "away", long_text, "1h", "0"),
                    "Texte du statut : 1024 octets au plus, sur une ligne");
        call.lang = NULL;

        /* Clear: the computed status again, whatever else was submitted. */
        CHECK_STREQ(run(cmd, &call, "dnd", "ignored", "1h", "1"),
                    "Now published: available: load 0.52");
        CHECK(fake.show == NULL);
        CHECK_STREQ(fake.text, "load 0.52");

        /* Stopped: hidden again. */
        p->features[0].ops->stop(state);
        CHECK(!command_is_available(cmd));

        action_result_free(done.result);
        policy_free(p);
        sd_event_unref(e);
        fake_host_done();
        CHECK_INT(unlink(strcat(proc, "/loadavg")), 0);
        *strrchr(proc, '/') = '\0';
        CHECK_INT(rmdir(proc), 0);
        CHECK_INT(rmdir(root), 0);
        return TESTS_RESULT();
}
