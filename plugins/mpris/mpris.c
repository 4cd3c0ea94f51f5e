/* SPDX-License-Identifier: MIT */
/*
 * The media remote as a built-in feature ("plugins: {mpris: ...}"): its section is parsed with
 * the policy, its commands are added when the policy links it, and the players are followed
 * from start() to stop().
 *
 * Commands, all with the section's allow:
 *   mpris              "Media remote": pick a player, then a live remote (status executing
 *                      after each action, until complete or cancel)
 *   mpris/play-pause, mpris/next, mpris/previous, mpris/stop, mpris/volume-up,
 *   mpris/volume-down  one tap on the current player, each only when actions: allows it
 *   mpris/now-playing  what the current player plays
 */
#include "log.h"
#include "mpris-internal.h"

static int mpris_parse(const struct ynode *n, void **ret_cfg, struct diags *d)
{
        return mpris_config_parse(n, (struct mpris_config **)ret_cfg, d);
}

static void mpris_free_cfg(void *cfg)
{
        mpris_config_free(cfg);
}

static int add_command(struct command_sink *sink, const struct ynode *section,
                       const struct mpris_config *cfg, const char *node, const char *name,
                       const struct action_ops *ops, enum mpris_op op)
{
        struct mpris_command *cmd = zalloc(sizeof(*cmd));
        struct i18n label = {0};
        int r;

        if (!cmd)
                return -ENOMEM;
        cmd->cfg = cfg;
        cmd->op = op;
        r = l10n_i18n(&label, name);
        if (r < 0) {
                free(cmd);
                return r;
        }
        r = command_sink_add(sink, &(struct command_spec){
                                       .node = node,
                                       .name = &label,
                                       .allow = ynode_get(section, "allow"),
                                       .action = ops,
                                       .action_cfg = cmd, /* consumed */
                                       .where = section,
                                   });
        i18n_done(&label);
        return r;
}

static int mpris_link(void *cfgp, const struct ynode *n, struct command_sink *sink)
{
        const struct mpris_config *cfg = cfgp;
        int r;

        r = add_command(sink, n, cfg, "mpris", N_("Media remote"), &mpris_remote_action,
                        MPRIS_OP_REFRESH);
        for (size_t i = 0; i < _MPRIS_OP_MAX; i++) {
                const struct mpris_op_info *o = &mpris_ops[i];
                int k;

                /* Only what actions: allows is generated. */
                if (!o->quick_node || !mpris_op_allowed(cfg, (enum mpris_op)i))
                        continue;
                k = add_command(sink, n, cfg, o->quick_node, o->quick_name, &mpris_quick_action,
                                (enum mpris_op)i);
                if (r >= 0 || k == -ENOMEM)
                        r = k < 0 ? k : r;
        }
        return r;
}

static int mpris_start(const struct feature_host *host, const void *cfgp, void **ret_state)
{
        const struct mpris_config *cfg = cfgp;
        struct mpris *m;
        int r;

        r = mpris_new(host->event, cfg, &m);
        if (r < 0)
                return log_error_errno(r, "mpris: cannot start: %m");
        cfg->link->state = m;
        *ret_state = m;
        return 0;
}

static void mpris_stop(void *state)
{
        struct mpris *m = state;

        if (!m)
                return;
        /* The commands see the remote stopped before its requests end. */
        m->cfg->link->state = NULL;
        mpris_free(m);
}

const struct feature_ops mpris_feature = {
    .key = "mpris",
    .parse = mpris_parse,
    .free_cfg = mpris_free_cfg,
    .start = mpris_start,
    .stop = mpris_stop,
    .link = mpris_link,
};
