/* SPDX-License-Identifier: MIT */
#include "caps.h"

#include <openssl/evp.h>
#include <openssl/sha.h>
#include <stdio.h>

static int cmp_str(const void *a, const void *b)
{
        return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static int cmp_identity(const void *a, const void *b)
{
        const struct caps_identity *x = a, *y = b;
        int r;

        if ((r = strcmp(x->category, y->category)) != 0)
                return r;
        if ((r = strcmp(x->type, y->type)) != 0)
                return r;
        if ((r = strcmp(strempty(x->lang), strempty(y->lang))) != 0)
                return r;
        return strcmp(strempty(x->name), strempty(y->name));
}

static char *identity_string(const struct caps_identity *i)
{
        char *s;

        if (asprintf(&s, "%s/%s/%s/%s", i->category, i->type, strempty(i->lang),
                     strempty(i->name)) < 0)
                return NULL;
        return s;
}

char *caps_ver(const struct caps_identity *ids, size_t n_ids, const char *const *features,
               size_t n_features)
{
        _cleanup_free_ const char **sorted = NULL;
        _cleanup_free_ struct caps_identity *sids = NULL;
        unsigned char md[SHA_DIGEST_LENGTH];
        char **idstr = NULL, *buf = NULL, *out = NULL;
        size_t len = 0;
        FILE *f = NULL;

        idstr = calloc(n_ids + 1, sizeof(char *));
        sorted = calloc(n_features + 1, sizeof(char *));
        sids = calloc(n_ids + 1, sizeof(*sids));
        if (!idstr || !sorted || !sids)
                goto out;
        memcpy(sids, ids, n_ids * sizeof(*ids));
        qsort(sids, n_ids, sizeof(*sids), cmp_identity);
        for (size_t i = 0; i < n_ids; i++)
                if (!(idstr[i] = identity_string(&sids[i])))
                        goto out;
        memcpy(sorted, features, n_features * sizeof(char *));
        qsort(sorted, n_features, sizeof(char *), cmp_str);

        f = open_memstream(&buf, &len);
        if (!f)
                goto out;
        for (size_t i = 0; i < n_ids; i++)
                fprintf(f, "%s<", idstr[i]);
        for (size_t i = 0; i < n_features; i++)
                fprintf(f, "%s<", sorted[i]);
        if (fclose(f) != 0)
                goto out;
        SHA1((const unsigned char *)buf, len, md);
        out = malloc(4 * ((SHA_DIGEST_LENGTH + 2) / 3) + 1);
        if (out)
                EVP_EncodeBlock((unsigned char *)out, md, SHA_DIGEST_LENGTH);
out:
        free(buf);
        strv_free(idstr);
        return out;
}
