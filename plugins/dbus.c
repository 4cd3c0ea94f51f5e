/* SPDX-License-Identifier: MIT */
/*
 * The "dbus:" action: calls a method, or reads or writes a property, with values from the
 * form (syntax in dbus-config.c). A call goes:
 *
 *   start -> [convert, when the signature is known] -> [introspect, cached per owner]
 *         -> [convert, when the signature was introspected] -> call -> reply -> result
 *
 * Every step is asynchronous; the request owns its pending slot, so cancelling the command
 * (or the agent stopping) drops the call. A value that does not fit is refused before the
 * method is called.
 *
 * Calls are made with the agent's own credentials. On the system bus, the bus configuration
 * (/usr/share/dbus-1/system.d/, /etc/dbus-1/system.d/) decides which methods adhocd's user
 * may call at all, and services that use polkit then ask polkit, which can only answer from
 * its rules (/etc/polkit-1/rules.d/): adhocd never allows interactive authorization.
 */
#include "dbus.h"
#include "log.h"
#include "plugins.h"

struct dbus_request {
        struct action_call *call;
        const struct dbus_config *cfg;
        struct dbus_config *owned_cfg; /* cfg, when the request owns it (dbus_call_start()) */
        struct dbus_bus *bus;
        struct dbus_waiter waiter; /* while waiting for introspection */
        sd_bus_message *msg;       /* the call, once its arguments are converted */
        sd_bus_slot *slot;         /* the pending call */
        char **out_names;          /* labels of the reply's values, from introspection */
};

static void request_free(struct dbus_request *req)
{
        dbus_waiter_cancel(&req->waiter);
        sd_bus_slot_unref(req->slot);
        sd_bus_message_unref(req->msg);
        strv_free(req->out_names);
        dbus_bus_unref(req->bus);
        dbus_config_free(req->owned_cfg);
        free(req);
}

/* Completes the call with res (NULL: out of memory) and frees the request. */
static void request_finish(struct dbus_request *req, struct action_result *res)
{
        struct action_call *call = req->call;

        call->userdata = NULL;
        request_free(req);
        action_call_complete(call, res);
}

static void request_fail(struct dbus_request *req, int error, const char *note)
{
        struct action_result *res = action_result_new();

        if (res) {
                res->error = error;
                if (note && action_result_add_note(res, NOTE_ERROR, "%s", note) < 0)
                        res->error = -ENOMEM;
        }
        request_finish(req, res);
}

static void request_unavailable(struct dbus_request *req)
{
        struct action_result *res = action_result_new();

        if (res && dbus_result_add_unavailable(res, req->cfg, req->call->lang) < 0)
                res->error = -ENOMEM;
        request_finish(req, res);
}

static bool error_is_disconnect(const char *name, const char *message)
{
        /* What sd-bus answers for calls pending when the connection drops. */
        return streq_ptr(name, SD_BUS_ERROR_DISCONNECTED) ||
               (streq_ptr(name, SD_BUS_ERROR_NO_REPLY) &&
                streq_ptr(message, "Connection terminated"));
}

static void request_dbus_error(struct dbus_request *req, const char *name, const char *message)
{
        struct action_result *res;

        if (error_is_disconnect(name, message)) {
                request_unavailable(req);
                return;
        }
        res = action_result_new();
        if (res && dbus_result_add_error(res, req->cfg, req->call->lang, name, message) < 0)
                res->error = -ENOMEM;
        request_finish(req, res);
}

/* ---- Building the call ---- */

static int new_call(sd_bus *bus, const struct dbus_config *c, sd_bus_message **ret)
{
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL;
        int r;

        if (c->kind == DBUS_CALL_METHOD)
                r = sd_bus_message_new_method_call(bus, &m, c->destination, c->path, c->interface,
                                                   c->member);
        else
                r = sd_bus_message_new_method_call(
                    bus, &m, c->destination, c->path, "org.freedesktop.DBus.Properties",
                    c->kind == DBUS_CALL_GET_PROPERTY ? "Get" : "Set");
        if (r < 0)
                return r;
        if (c->kind != DBUS_CALL_METHOD) {
                r = sd_bus_message_append(m, "ss", c->interface, c->member);
                if (r < 0)
                        return r;
        }
        *ret = TAKE_PTR(m);
        return 0;
}

static int append_property_value(sd_bus_message *m, const struct dbus_config *c, const char *type,
                                 struct dbus_convert *conv)
{
        int r;

        r = sd_bus_message_open_container(m, 'v', type);
        if (r < 0)
                return r;
        r = dbus_append_value(m, type, &c->args[0], c->member, conv);
        if (r < 0)
                return r;
        return sd_bus_message_close_container(m);
}

/* Converts the form's values into req->msg. Returns 0, or < 0 after finishing the request. */
static int request_prepare(struct dbus_request *req, const char *signature)
{
        const struct dbus_config *c = req->cfg;
        const struct action_call *call = req->call;
        const struct template_vars vars = action_call_vars(call);
        struct dbus_convert conv = {.vars = &vars, .form = c->form, .lang = call->lang};
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL;
        sd_bus *bus = dbus_bus_get_sd(req->bus);
        int r;

        if (!bus) {
                request_unavailable(req);
                return -ENOTCONN;
        }
        r = new_call(bus, c, &m);
        if (r >= 0 && c->kind == DBUS_CALL_METHOD)
                r = dbus_append_args(m, signature, c->args, c->n_args, &conv);
        else if (r >= 0 && c->kind == DBUS_CALL_SET_PROPERTY)
                r = append_property_value(m, c, signature, &conv);
        if (r == -EINVAL && conv.error) {
                request_fail(req, -EINVAL, conv.error);
        } else if (r == -EPROTO && conv.error) {
                _cleanup_free_ char *note = NULL;

                /* What does not fit is the administrator's matter: told in English, as logged. */
                log_warning("%s: the policy does not fit %s.%s: %s", call->node, c->interface,
                            c->member, conv.error);
                if (asprintf(&note,
                             l10n(call->lang, "The policy of this command does not fit %s.%s: %s"),
                             c->interface, c->member, conv.error) < 0)
                        note = NULL;
                request_fail(req, -EPROTO, note);
        } else if (r < 0) {
                log_warning_errno(r, "%s: cannot build the D-Bus call: %m", call->node);
                request_fail(req, r, NULL);
        }
        free(conv.error);
        if (r < 0)
                return r;
        req->msg = TAKE_PTR(m);
        return 0;
}

/* ---- Calling ---- */

static int on_reply(sd_bus_message *m, void *userdata, sd_bus_error *ret_error)
{
        struct dbus_request *req = userdata;
        const struct dbus_config *c = req->cfg;
        const sd_bus_error *err = sd_bus_message_get_error(m);
        char *property[] = {(char *)c->member, NULL};
        struct action_result *res;
        int r;

        req->slot = sd_bus_slot_unref(req->slot);
        if (err) {
                request_dbus_error(req, err->name, err->message);
                return 0;
        }
        res = action_result_new();
        if (!res) {
                request_finish(req, NULL);
                return 0;
        }
        r = dbus_result_from_reply(m, c->kind == DBUS_CALL_METHOD ? req->out_names : property,
                                   c->columns, req->call->lang, res);
        if (r < 0) {
                log_warning_errno(r, "%s: cannot read the reply of %s.%s: %m", req->call->node,
                                  c->interface, c->member);
                res->error = r;
                (void)action_result_add_note(
                    res, NOTE_ERROR, l10n(req->call->lang, "The reply of %s could not be read."),
                    c->destination);
        }
        request_finish(req, res);
        return 0;
}

static void request_send(struct dbus_request *req)
{
        sd_bus *bus = dbus_bus_get_sd(req->bus);
        int r;

        /* The connection may have been replaced while introspecting. */
        if (!bus || sd_bus_message_get_bus(req->msg) != bus) {
                request_unavailable(req);
                return;
        }
        r = sd_bus_call_async(bus, &req->slot, req->msg, on_reply, req, req->cfg->timeout);
        if (r == -ENOTCONN || r == -ECONNRESET) {
                request_unavailable(req);
                return;
        }
        if (r < 0) {
                log_warning_errno(r, "%s: cannot call %s: %m", req->call->node,
                                  req->cfg->destination);
                request_fail(req, r, NULL);
                return;
        }
        req->msg = sd_bus_message_unref(req->msg);
}

/* The type the introspection data gives, or NULL with the request finished. */
static const char *introspected_signature(struct dbus_request *req,
                                          const struct dbus_introspection *intro)
{
        const struct dbus_config *c = req->cfg;
        const char *sig = NULL, *lang = req->call->lang;
        _cleanup_free_ char *note = NULL;

        if (c->kind == DBUS_CALL_METHOD) {
                const struct dbus_imethod *m =
                    dbus_introspection_find_method(intro, c->interface, c->member);
                sig = m ? m->in_signature : NULL;
        } else {
                const struct dbus_iproperty *p =
                    dbus_introspection_find_property(intro, c->interface, c->member);
                sig = p ? p->type : NULL;
        }
        if (sig && !strchr(sig, 'h'))
                return sig;
        if (sig &&
            asprintf(&note, l10n(lang, "%s.%s takes a file descriptor, which adhocd never passes."),
                     c->interface, c->member) < 0)
                note = NULL;
        if (!sig && asprintf(&note,
                             c->kind == DBUS_CALL_METHOD
                                 ? l10n(lang, "%s has no method %s.%s at %s according to its "
                                              "introspection data (if it is there, give its type "
                                              "in the policy).")
                                 : l10n(lang, "%s has no property %s.%s at %s according to its "
                                              "introspection data (if it is there, give its type "
                                              "in the policy)."),
                             c->destination, c->interface, c->member, c->path) < 0)
                note = NULL;
        request_fail(req, -EPROTO, note);
        return NULL;
}

static void request_continue(struct dbus_request *req, const struct dbus_introspection *intro,
                             const char *error_name, const char *error_message)
{
        const struct dbus_config *c = req->cfg;
        const char *sig;

        if (intro && c->kind == DBUS_CALL_METHOD) {
                const struct dbus_imethod *m =
                    dbus_introspection_find_method(intro, c->interface, c->member);

                if (m && !(req->out_names = strv_copy(m->out_names))) {
                        request_finish(req, NULL);
                        return;
                }
        }
        /* Calling would fail the same way. */
        if (!intro && (!req->msg || streq_ptr(error_name, SD_BUS_ERROR_SERVICE_UNKNOWN) ||
                       streq_ptr(error_name, SD_BUS_ERROR_NAME_HAS_NO_OWNER) ||
                       error_is_disconnect(error_name, error_message))) {
                request_dbus_error(req, error_name, error_message);
                return;
        }
        if (!req->msg) {
                /* The signature was to come from introspection. */
                sig = introspected_signature(req, intro);
                if (!sig || request_prepare(req, sig) < 0)
                        return;
        }
        request_send(req);
}

static void on_introspected(struct dbus_waiter *w, const struct dbus_introspection *intro,
                            const char *error_name, const char *error_message)
{
        struct dbus_request *req =
            (struct dbus_request *)((char *)w - offsetof(struct dbus_request, waiter));

        request_continue(req, intro, error_name, error_message);
}

/* ---- The backend ---- */

static int dbus_parse(const struct ynode *n, const struct form *form, void **ret_cfg,
                      struct diags *d)
{
        struct dbus_config *c;
        int r;

        r = dbus_config_parse(n, form, &c, d);
        if (r < 0)
                return r;
        *ret_cfg = c;
        return 0;
}

static void dbus_free_cfg(void *cfg)
{
        dbus_config_free(cfg);
}

/* Starts a call of c; owned (c itself or NULL) is freed with the request, or now on failure. */
static int request_start(struct action_call *call, const struct dbus_config *c,
                         struct dbus_config *owned)
{
        const struct dbus_introspection *intro = NULL;
        struct dbus_request *req;
        int r;

        req = zalloc(sizeof(*req));
        if (!req) {
                dbus_config_free(owned);
                return -ENOMEM;
        }
        req->call = call;
        req->cfg = c;
        req->owned_cfg = owned;
        req->waiter.cb = on_introspected;
        r = dbus_bus_get(call->event, c->bus, &req->bus);
        if (r < 0) {
                request_free(req);
                return r;
        }
        call->userdata = req;
        if (!dbus_bus_get_sd(req->bus)) {
                request_unavailable(req);
                return 0;
        }
        /* Refuse values that do not fit before anything is sent. */
        if ((c->signature || c->kind == DBUS_CALL_GET_PROPERTY) &&
            request_prepare(req, c->signature) < 0)
                return 0;
        /* Methods are introspected for their output names too; properties only for a type. */
        if (c->kind != DBUS_CALL_METHOD && req->msg) {
                request_send(req);
                return 0;
        }
        r = dbus_bus_introspect(req->bus, c->destination, c->path, c->timeout, &req->waiter,
                                &intro);
        if (r == 0)
                return 0;
        if (r > 0)
                request_continue(req, intro, NULL, NULL);
        else if (r == -ENOTCONN)
                request_unavailable(req);
        else if (req->msg)
                request_send(req); /* labels are only a nicety */
        else
                request_fail(req, r, NULL);
        return 0;
}

static int dbus_start(struct action_call *call)
{
        return request_start(call, call->cfg, NULL);
}

int dbus_call_start(struct action_call *call, struct dbus_config *c)
{
        return request_start(call, c, c);
}

void dbus_call_cancel(struct action_call *call)
{
        struct dbus_request *req = call->userdata;

        /* Dropping the slot cancels the call: its reply, if any, is ignored. */
        if (req)
                request_free(req);
        call->userdata = NULL;
}

static void dbus_shutdown(void)
{
        dbus_buses_shutdown();
}

const struct action_ops dbus_action = {
    .key = "dbus",
    .parse = dbus_parse,
    .free_cfg = dbus_free_cfg,
    .start = dbus_start,
    .cancel = dbus_call_cancel,
    .shutdown = dbus_shutdown,
};
