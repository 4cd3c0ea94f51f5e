/* SPDX-License-Identifier: MIT */
/*
 * The systemd services as a built-in feature ("plugins: {systemd: ...}"): its section is
 * parsed with the policy, its commands are added when the policy links it, and systemd is
 * followed from start() to stop().
 *
 * Commands, all with the section's allow, each only when verbs: lists it:
 *   systemd/status    "Service status": the allowed units, optionally one in detail
 *   systemd/start, systemd/stop, systemd/restart, systemd/reload
 *                     pick a unit, confirm (verbs under confirm:), act, follow the job
 */
#include <stdio.h>

#include "log.h"
#include "systemd-internal.h"

static int sysd_parse(const struct ynode *n, void **ret_cfg, struct diags *d)
{
        return sysd_config_parse(n, (struct sysd_config **)ret_cfg, d);
}

static void sysd_free_cfg(void *cfg)
{
        sysd_config_free(cfg);
}

static int add_command(struct command_sink *sink, const struct ynode *section,
                       const struct sysd_config *cfg, enum sysd_verb verb)
{
        struct sysd_command *cmd = zalloc(sizeof(*cmd));
        struct i18n name = {0}, confirm = {0};
        char node[32];
        int r;

        if (!cmd)
                return -ENOMEM;
        cmd->cfg = cfg;
        cmd->verb = verb;
        snprintf(node, sizeof(node), "systemd/%s", sysd_verb_to_string(verb));
        /* In English and French: the requester's language picks one. */
        r = l10n_i18n(&name, sysd_verb_title(verb));
        if (r >= 0 && sysd_config_confirms(cfg, verb) && sysd_verb_question(verb))
                r = l10n_i18n(&confirm, sysd_verb_question(verb));
        if (r < 0) {
                free(cmd);
                i18n_done(&name);
                return r;
        }
        r = command_sink_add(
            sink, &(struct command_spec){
                      .node = node,
                      .name = &name,
                      .allow = ynode_get(section, "allow"),
                      .confirm = i18n_is_empty(&confirm) ? NULL : &confirm,
                      .action = verb == SYSD_VERB_STATUS ? &sysd_status_action : &sysd_verb_action,
                      .action_cfg = cmd, /* consumed */
                      .where = section,
                  });
        i18n_done(&name);
        i18n_done(&confirm);
        return r;
}

static int sysd_link(void *cfgp, const struct ynode *n, struct command_sink *sink)
{
        const struct sysd_config *cfg = cfgp;
        int r = 0;

        for (int v = 0; v < _SYSD_VERB_MAX; v++) {
                int k;

                if (!sysd_config_has_verb(cfg, (enum sysd_verb)v))
                        continue;
                k = add_command(sink, n, cfg, (enum sysd_verb)v);
                if (r >= 0 || k == -ENOMEM)
                        r = k < 0 ? k : r;
        }
        return r;
}

static int sysd_start(const struct feature_host *host, const void *cfgp, void **ret_state)
{
        const struct sysd_config *cfg = cfgp;
        struct sysd *s;
        int r;

        r = sysd_new(host->event, cfg, &s);
        if (r < 0)
                return log_error_errno(r, "systemd: cannot start: %m");
        cfg->link->state = s;
        *ret_state = s;
        return 0;
}

static void sysd_stop(void *state)
{
        struct sysd *s = state;

        if (!s)
                return;
        /* The commands see the feature stopped before its requests end. */
        s->cfg->link->state = NULL;
        sysd_free(s);
}

const struct feature_ops systemd_feature = {
    .key = "systemd",
    .parse = sysd_parse,
    .free_cfg = sysd_free_cfg,
    .start = sysd_start,
    .stop = sysd_stop,
    .link = sysd_link,
};
