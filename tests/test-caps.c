/* SPDX-License-Identifier: MIT */
#include "caps.h"
#include "tests.h"

int main(void)
{
        /* The worked example of XEP-0115 §5.2. */
        static const struct caps_identity ids[] = {{"client", "pc", NULL, "Exodus 0.9.1"}};
        static const char *const features[] = {
            "http://jabber.org/protocol/muc",
            "http://jabber.org/protocol/disco#info",
            "http://jabber.org/protocol/caps",
            "http://jabber.org/protocol/disco#items",
        };
        /* Two identities given out of order sort by category, type, lang, name. */
        static const struct caps_identity two[] = {{"client", "pc", "el", "Ψ 0.11"},
                                                   {"client", "pc", "en", "Psi 0.11"}};
        static const struct caps_identity two_rev[] = {{"client", "pc", "en", "Psi 0.11"},
                                                       {"client", "pc", "el", "Ψ 0.11"}};
        char *v, *w;

        v = caps_ver(ids, 1, features, 4);
        CHECK_STREQ(v, "QgayPKawpkPSDYmwT/WM94uAlu0=");
        free(v);
        v = caps_ver(two, 2, features, 4);
        w = caps_ver(two_rev, 2, features, 4);
        CHECK(v && w && strcmp(v, w) == 0);
        free(v);
        free(w);
        return TESTS_RESULT();
}
