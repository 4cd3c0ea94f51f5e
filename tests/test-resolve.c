/* SPDX-License-Identifier: MIT */
/* Finding the server: SRV answers, the child's output, and lookups through a child. */
#include <signal.h>
#include <stdio.h>
#include <unistd.h>

#include "resolve.h"
#include "tests.h"

/* ---- DNS messages, built by hand ---- */

struct msg {
        uint8_t b[1024];
        size_t n;
};

static void put8(struct msg *m, unsigned v)
{
        m->b[m->n++] = (uint8_t)v;
}

static void put16(struct msg *m, unsigned v)
{
        put8(m, v >> 8);
        put8(m, v & 0xff);
}

static void put_name(struct msg *m, const char *name)
{
        while (*name) {
                const char *dot = strchr(name, '.');
                size_t k = dot ? (size_t)(dot - name) : strlen(name);

                put8(m, (unsigned)k);
                memcpy(m->b + m->n, name, k);
                m->n += k;
                name += k + (dot ? 1 : 0);
        }
        put8(m, 0);
}

/* A response to the SRV question for _xmpp-client._tcp.example.org with n_answers answers. */
static void msg_begin(struct msg *m, unsigned n_answers)
{
        m->n = 0;
        put16(m, 0x1234); /* id */
        put16(m, 0x8180); /* response, recursion desired and available */
        put16(m, 1);      /* question */
        put16(m, n_answers);
        put16(m, 0);
        put16(m, 0);
        put_name(m, "_xmpp-client._tcp.example.org");
        put16(m, 33); /* SRV */
        put16(m, 1);  /* IN */
}

static void msg_rr(struct msg *m, unsigned type, const uint8_t *rdata, size_t len)
{
        put16(m, 0xc00c); /* the question's name */
        put16(m, type);
        put16(m, 1);
        put16(m, 0);
        put16(m, 300);
        put16(m, (unsigned)len);
        memcpy(m->b + m->n, rdata, len);
        m->n += len;
}

static void msg_srv(struct msg *m, unsigned prio, unsigned weight, unsigned port,
                    const char *target)
{
        struct msg rd = {0};

        put16(&rd, prio);
        put16(&rd, weight);
        put16(&rd, port);
        if (streq(target, "."))
                put8(&rd, 0);
        else
                put_name(&rd, target);
        msg_rr(m, 33, rd.b, rd.n);
}

static void test_parse_srv(void)
{
        static const uint8_t a_record[] = {192, 0, 2, 1};
        struct srv_record recs[8];
        struct msg m;
        size_t n = 99;

        msg_begin(&m, 4);
        msg_srv(&m, 20, 0, 5222, "c.example.org");
        msg_rr(&m, 1, a_record, sizeof(a_record)); /* not an SRV record: skipped */
        msg_srv(&m, 10, 5, 5223, "b.example.org");
        msg_srv(&m, 10, 50, 5224, "a.example.org");
        CHECK_INT(resolve_parse_srv(m.b, m.n, recs, ELEMENTSOF(recs), &n), 0);
        CHECK_INT(n, 3);
        /* By priority, then the heavier first. */
        CHECK_STREQ(recs[0].target, "a.example.org");
        CHECK_INT(recs[0].port, 5224);
        CHECK_STREQ(recs[1].target, "b.example.org");
        CHECK_STREQ(recs[2].target, "c.example.org");
        CHECK_INT(recs[2].priority, 20);

        /* At most max records are kept. */
        CHECK_INT(resolve_parse_srv(m.b, m.n, recs, 1, &n), 0);
        CHECK_INT(n, 1);

        /* "." alone: the domain offers no XMPP service. */
        msg_begin(&m, 1);
        msg_srv(&m, 0, 0, 0, ".");
        CHECK_INT(resolve_parse_srv(m.b, m.n, recs, ELEMENTSOF(recs), &n), 1);
        CHECK_INT(n, 0);

        /* No answer at all. */
        msg_begin(&m, 0);
        CHECK_INT(resolve_parse_srv(m.b, m.n, recs, ELEMENTSOF(recs), &n), 0);
        CHECK_INT(n, 0);

        /* Cut short, or an SRV record too short to hold its fields. */
        msg_begin(&m, 1);
        msg_srv(&m, 10, 5, 5223, "b.example.org");
        CHECK_INT(resolve_parse_srv(m.b, m.n - 3, recs, ELEMENTSOF(recs), &n), -EBADMSG);
        msg_begin(&m, 1);
        msg_rr(&m, 33, a_record, sizeof(a_record));
        CHECK_INT(resolve_parse_srv(m.b, m.n, recs, ELEMENTSOF(recs), &n), -EBADMSG);
        CHECK_INT(resolve_parse_srv(m.b, 5, recs, ELEMENTSOF(recs), &n), -EBADMSG);
}

static void test_parse_endpoints(void)
{
        static const char good[] = "127.0.0.1 5222\n::1 5223\n";
        static const char *const bad[] = {
            "127.0.0.1 5222",     /* cut: no end of line */
            "127.0.0.1 0\n",      /* port 0 */
            "127.0.0.1 65536\n",  /* port too large */
            "127.0.0.1  5222\n",  /* two spaces */
            "127.0.0.1 52a\n",    /* not a number */
            "127.0.0.1\n",        /* no port */
            "localhost 5222\n",   /* not numeric */
            "[::1] 5222\n",       /* brackets are not the child's way */
            "127.0.0.1 5222 x\n", /* trailing words */
            "\n",                 /* empty line */
            "999.0.0.1 5222\n",   /* not an address */
            "127.0.0.1 +5222\n",  /* signs */
            "127.0.0.1 005222\n", /* too long */
        };
        struct endpoint e[RESOLVE_MAX_ENDPOINTS];
        char many[RESOLVE_MAX_ENDPOINTS * 16 + 16] = "";
        size_t n = 0;

        CHECK_INT(resolve_parse_endpoints(good, strlen(good), e, ELEMENTSOF(e), &n), 0);
        CHECK_INT(n, 2);
        CHECK_STREQ(e[0].address, "127.0.0.1");
        CHECK_INT(e[0].port, 5222);
        CHECK_STREQ(e[1].address, "::1");
        CHECK_INT(e[1].port, 5223);
        CHECK_INT(resolve_parse_endpoints("", 0, e, ELEMENTSOF(e), &n), 0);
        CHECK_INT(n, 0);
        for (size_t i = 0; i < ELEMENTSOF(bad); i++)
                if (resolve_parse_endpoints(bad[i], strlen(bad[i]), e, ELEMENTSOF(e), &n) !=
                    -EBADMSG) {
                        fprintf(stderr, "accepted: %s\n", bad[i]);
                        CHECK(false);
                }
        /* A NUL inside a line. */
        CHECK_INT(resolve_parse_endpoints("1.2.3.4\0 5\n", 11, e, ELEMENTSOF(e), &n), -EBADMSG);
        /* More lines than room. */
        for (size_t i = 0; i <= RESOLVE_MAX_ENDPOINTS; i++)
                strcat(many, "10.0.0.1 5222\n");
        CHECK_INT(resolve_parse_endpoints(many, strlen(many), e, ELEMENTSOF(e), &n), -EBADMSG);

        CHECK_INT(resolve_parse_numeric("192.0.2.7", 5222, &e[0]), 0);
        CHECK_STREQ(e[0].address, "192.0.2.7");
        CHECK_INT(resolve_parse_numeric("[2001:db8::1]", 5223, &e[0]), 0);
        CHECK_STREQ(e[0].address, "2001:db8::1");
        CHECK_INT(e[0].port, 5223);
        CHECK_INT(resolve_parse_numeric("::1", 5222, &e[0]), 0);
        CHECK_INT(resolve_parse_numeric("localhost", 5222, &e[0]), -EINVAL);
        CHECK_INT(resolve_parse_numeric("xmpp.example.org", 5222, &e[0]), -EINVAL);
        CHECK_INT(resolve_parse_numeric("[127.0.0.1", 5222, &e[0]), -EINVAL);
}

/* ---- Lookups on the loop ---- */

static sd_event *event;

struct outcome {
        bool done;
        int error;
        struct endpoint e[RESOLVE_MAX_ENDPOINTS];
        size_t n;
};

static void on_done(struct resolve *r, const struct endpoint *e, size_t n, int error,
                    void *userdata)
{
        struct outcome *o = userdata;

        CHECK(!o->done); /* once */
        o->done = true;
        o->error = error;
        o->n = n;
        memcpy(o->e, e, n * sizeof(*e));
}

/* Runs a lookup to its end. */
static struct outcome run_lookup(const struct resolve_request *req)
{
        _cleanup_(resolve_freep) struct resolve *r = NULL;
        struct outcome o = {0};
        usec_t deadline = now_usec(CLOCK_MONOTONIC) + 60 * USEC_PER_SEC;

        CHECK_INT(resolve_start(event, req, on_done, &o, &r), 0);
        CHECK(!o.done); /* never from within the call */
        while (!o.done && now_usec(CLOCK_MONOTONIC) < deadline)
                CHECK(sd_event_run(event, 100 * USEC_PER_MSEC) >= 0);
        CHECK(o.done);
        return o;
}

static int lookup_two(const struct resolve_request *req, int fd)
{
        return dprintf(fd, "192.0.2.1 %u\n2001:db8::2 5269\n", req->port) < 0 ? -EIO : 0;
}

static int lookup_fails(const struct resolve_request *req, int fd)
{
        return -ENOENT;
}

static int lookup_garbage(const struct resolve_request *req, int fd)
{
        return dprintf(fd, "not an address\n") < 0 ? -EIO : 0;
}

static void test_lookups(void)
{
        struct resolve_request req = {
            .domain = "example.org", .port = 5299, .timeout = 10 * USEC_PER_SEC};
        struct outcome o;

        /* What the child writes, in order (agent/child-call.c runs it: tests/test-child-call.c). */
        req.lookup = lookup_two;
        o = run_lookup(&req);
        CHECK_INT(o.error, 0);
        CHECK_INT(o.n, 2);
        CHECK_STREQ(o.e[0].address, "192.0.2.1");
        CHECK_INT(o.e[0].port, 5299);
        CHECK_STREQ(o.e[1].address, "2001:db8::2");
        CHECK_INT(o.e[1].port, 5269);

        /* A failed lookup, and an answer that is not endpoints. */
        req.lookup = lookup_fails;
        o = run_lookup(&req);
        CHECK_INT(o.error, -ENOENT);
        req.lookup = lookup_garbage;
        o = run_lookup(&req);
        CHECK_INT(o.error, -EBADMSG);
        CHECK_INT(o.n, 0);

        /* The C library's own resolver, through /etc/hosts. */
        req.lookup = NULL;
        req.host = "localhost";
        o = run_lookup(&req);
        CHECK_INT(o.error, 0);
        CHECK(o.n >= 1);
        for (size_t i = 0; i < o.n; i++) {
                CHECK(streq(o.e[i].address, "127.0.0.1") || streq(o.e[i].address, "::1"));
                CHECK_INT(o.e[i].port, 5299);
        }
}

int main(void)
{
        tests_block_sigchld();
        CHECK(sd_event_default(&event) >= 0);

        test_parse_srv();
        test_parse_endpoints();
        test_lookups();

        sd_event_unref(event);
        return TESTS_RESULT();
}
