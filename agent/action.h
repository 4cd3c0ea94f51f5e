/* SPDX-License-Identifier: MIT */
#pragma once

#include <systemd/sd-event.h>

#include "feature.h"
#include "form.h"
#include "template.h"

/*
 * The action interface. A backend (reply, dbus, exec, plugins) declares one
 * `const struct action_ops` with the YAML key it claims. The engine hands it a validated
 * request in a struct action_call and the backend answers asynchronously with
 * action_call_complete(). The engine owns the call; cancel() must release the backend's
 * in-flight work (D-Bus slot, child process), after which the backend never completes it.
 */

enum note_type { NOTE_INFO, NOTE_WARN, NOTE_ERROR };
const char *note_type_to_string(enum note_type t) _pure_;

struct action_note {
        enum note_type type;
        char *text;
};

struct action_result {
        struct action_note *notes;
        size_t n_notes;
        struct form_result *form; /* NULL: no result form */
        /* Negative errno when the action could not run at all; the engine maps it to a
         * protocol error (-EBUSY/-EAGAIN: wait/resource-constraint, -EINVAL: bad-payload,
         * -EPERM/-EACCES: forbidden, others: internal-server-error), using the notes as text. */
        int error;
        /* A live command's session ends here all the same (what it controls is gone). */
        bool close;
};

struct action_result *action_result_new(void);
struct action_result *action_result_free(struct action_result *r);
DEFINE_TRIVIAL_CLEANUP_FUNC(struct action_result *, action_result_free)
int action_result_add_note(struct action_result *r, enum note_type type, const char *fmt, ...)
    _printf_(3, 4);
/* True when the result carries an error note or an error code. */
bool action_result_failed(const struct action_result *r) _pure_;

struct action_call;
typedef void (*action_complete_t)(struct action_call *call, struct action_result *result);

struct action_call {
        /* Set by the engine; valid until completion or cancel. */
        sd_event *event;
        const char *node;
        const char *requester; /* full JID */
        const char *requester_bare;
        const char *lang; /* the session's language, may be NULL */
        const struct form_values *values;
        const void *cfg; /* the backend's parsed configuration */

        /* Sends a chat message from the agent (e.g. the outcome of a detached job). Valid for
         * the agent's lifetime, not only the call's. */
        void (*send_message)(void *agent, const char *to, const char *lang, const char *body);
        void *agent;

        /* Backend's own in-flight state. */
        void *userdata;

        /* Engine's private completion hook. */
        action_complete_t complete;
        void *engine_data;
};

struct action_ops {
        const char *key; /* the YAML key of the action, e.g. "reply", "dbus", "exec" */
        /* Parses the action's YAML; form may be NULL. Reports errors with positions. */
        int (*parse)(const struct ynode *n, const struct form *form, void **ret_cfg,
                     struct diags *d);
        void (*free_cfg)(void *cfg);
        /* Starts the work. Returns < 0 if it cannot start (the engine answers with the error);
         * otherwise completes later through action_call_complete(), possibly before returning. */
        int (*start)(struct action_call *call);
        /* Cancels in-flight work and frees call->userdata. May be NULL for synchronous backends. */
        void (*cancel)(struct action_call *call);
        /* Called once when the agent stops: ends work that outlives calls (detached jobs). */
        void (*shutdown)(void);
        /* Optional: builds the form of the form stage when it is shown (the choices that exist
         * now, the current state). call->values holds the values submitted so far. The session
         * keeps the form it sent and validates the answer against it, so only choices that were
         * offered are ever accepted. */
        int (*build_form)(const void *cfg, const struct action_call *call, struct form **ret);
        /* Optional: the command is hidden (disco, execution) while this returns false, e.g. while
         * the D-Bus service it calls is absent. */
        bool (*available)(const void *cfg);
        /* Optional: an expanding action. The command entry is not added itself; expand() adds
         * the commands it stands for (base holds the entry's node, name and access). */
        int (*expand)(const struct command *base, struct command_sink *sink);
        /* Optional: a providing action. Its entry stands for the commands under "node/" that are
         * only known at run time (dbus_expose with methods: "*"); the entry itself is not a
         * command. provide_find() returns the command at node (the entry's node, '/', more) or
         * NULL; provide_list() hands cb each command that exists now. The commands belong to
         * the entry's configuration and live as long as the policy, whatever becomes of what
         * they stand for (available() tells), so a request in flight always holds a valid one.
         * They are made with command_derive(), which gives them the entry's access. */
        const struct command *(*provide_find)(const struct command *entry, const char *node);
        void (*provide_list)(const struct command *entry,
                             void (*cb)(const struct command *c, void *userdata), void *userdata);
        /* A live command: its form stage offers next (run, then show the refreshed form again)
         * and complete (run and close), like a remote control. */
        bool live;
};

/* Hands the result (consumed) to the engine. Called exactly once per started call. */
void action_call_complete(struct action_call *call, struct action_result *result);
/* What the call's templates may refer to: its values, who asked, the node and the language. */
struct template_vars action_call_vars(const struct action_call *call);

/* The registry of built-in backends, defined in plugins/plugins.c. */
const struct action_ops *action_ops_lookup(const char *key);
extern const struct action_ops *const builtin_actions[];
