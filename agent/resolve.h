/* SPDX-License-Identifier: MIT */
#pragma once

#include <netinet/in.h>
#include <systemd/sd-event.h>

#include "util.h"

/*
 * Where to connect, found without blocking the loop. The C library's resolver blocks (a DNS
 * server that does not answer holds it for seconds), so a forked child does the lookups and
 * writes one "ADDRESS PORT" line per endpoint to a pipe, which the loop reads.
 */

#define RESOLVE_MAX_ENDPOINTS 32
#define RESOLVE_MAX_TARGETS   8 /* SRV targets looked up */

struct endpoint {
        char address[INET6_ADDRSTRLEN]; /* numeric */
        uint16_t port;
};

struct resolve_request {
        const char *domain; /* the account's domain: SRV records, else the domain itself */
        const char *host;   /* when set: this host only, SRV skipped */
        uint16_t port;      /* 0: the SRV port, else the default (5222, or 5223 direct TLS) */
        bool direct_tls;    /* _xmpps-client instead of _xmpp-client */
        usec_t timeout;
        /* Tests only: runs in the child instead of the lookups; writes lines to fd. */
        int (*lookup)(const struct resolve_request *req, int fd);
};

struct resolve;
/* endpoints in order of preference (n may be 0), or error < 0 (-ETIMEDOUT, -ENOENT...). */
typedef void (*resolve_done_t)(struct resolve *r, const struct endpoint *endpoints, size_t n,
                               int error, void *userdata);

/* Starts a lookup; cb runs later from the loop, never from within this call. */
int resolve_start(sd_event *e, const struct resolve_request *req, resolve_done_t cb, void *userdata,
                  struct resolve **ret);
/* What a lookup's error means, for the log. */
const char *resolve_strerror(int error);
/* Cancels a lookup still running (its child is killed); cb is never called after this. */
struct resolve *resolve_free(struct resolve *r);
DEFINE_TRIVIAL_CLEANUP_FUNC(struct resolve *, resolve_free)

/* ---- Pure parts ---- */

struct srv_record {
        uint16_t priority, weight, port;
        char target[256];
};

/* The SRV records of a DNS answer, ordered by priority, then weight (highest first); a single
 * record with target "." (the service is decidedly not offered) gives *ret_n = 0 and 1. */
int resolve_parse_srv(const uint8_t *msg, size_t len, struct srv_record *ret, size_t max,
                      size_t *ret_n);
/* An IP address written out (IPv6 with or without brackets) as an endpoint; -EINVAL otherwise. */
int resolve_parse_numeric(const char *host, uint16_t port, struct endpoint *ret);
/* Parses the child's "ADDRESS PORT" lines; -EBADMSG on anything else. */
int resolve_parse_endpoints(const char *text, size_t len, struct endpoint *ret, size_t max,
                            size_t *ret_n);
