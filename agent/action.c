/* SPDX-License-Identifier: MIT */
#include "action.h"

#include <stdarg.h>
#include <stdio.h>

const char *note_type_to_string(enum note_type t)
{
        switch (t) {
        case NOTE_INFO:
                return "info";
        case NOTE_WARN:
                return "warn";
        case NOTE_ERROR:
                return "error";
        }
        return "info";
}

struct action_result *action_result_new(void)
{
        return zalloc(sizeof(struct action_result));
}

struct action_result *action_result_free(struct action_result *r)
{
        if (!r)
                return NULL;
        for (size_t i = 0; i < r->n_notes; i++)
                free(r->notes[i].text);
        free(r->notes);
        form_result_free(r->form);
        free(r);
        return NULL;
}

int action_result_add_note(struct action_result *r, enum note_type type, const char *fmt, ...)
{
        struct action_note *n;
        char *text;
        va_list ap;
        int k;

        va_start(ap, fmt);
        k = vasprintf(&text, fmt, ap);
        va_end(ap);
        if (k < 0)
                return -ENOMEM;
        n = array_grow((void **)&r->notes, &r->n_notes, sizeof(*r->notes));
        if (!n) {
                free(text);
                return -ENOMEM;
        }
        n->type = type;
        n->text = text;
        return 0;
}

bool action_result_failed(const struct action_result *r)
{
        if (r->error < 0)
                return true;
        for (size_t i = 0; i < r->n_notes; i++)
                if (r->notes[i].type == NOTE_ERROR)
                        return true;
        return false;
}

void action_call_complete(struct action_call *call, struct action_result *result)
{
        call->complete(call, result);
}

struct template_vars action_call_vars(const struct action_call *call)
{
        return (struct template_vars){
            .values = call->values,
            .from = call->requester,
            .from_bare = call->requester_bare,
            .node = call->node,
            .lang = call->lang,
        };
}
