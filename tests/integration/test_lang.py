#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""xml:lang: names, titles, labels and notes are picked from language maps by
the request's xml:lang (falling back to the first listed), responses echo it,
and a session keeps the language of its first request.

Prosody stamps the client stream's xml:lang (slixmpp: "en") on stanzas that
carry none, so an iq without xml:lang arrives at the agent as English."""

import sys

import harness as H
from harness import expect


def test_names_by_language(env):
    alice = env.client('alice')
    cases = [
        ('en', 'Greeting', 'Good evening'),
        ('fr', 'Salutation', 'Bonsoir'),
        ('de', 'Greeting', 'Bonsoir'),  # unknown: the first one listed
    ]
    for lang, greeting, evening in cases:
        cmds = alice.commands(env.agent_jid, lang=lang)
        expect(cmds.get('test/lang') == greeting,
               'xml:lang=%s: test/lang is named %r, expected %r' % (lang, cmds.get('test/lang'), greeting))
        expect(cmds.get('test/lang-fr-first') == evening,
               'xml:lang=%s: test/lang-fr-first is named %r, expected %r'
               % (lang, cmds.get('test/lang-fr-first'), evening))
        expect(cmds.get('test/hello') == 'Say hello', 'a plain name depends on the language')


def test_disco_echoes_lang(env):
    r = env.client('alice').disco_items(env.agent_jid, lang='fr').expect_result('disco#items in French')
    expect(r.lang == 'fr', 'disco#items answer has xml:lang=%r, expected fr' % r.lang, r)


def test_session_in_french(env):
    alice = env.client('alice')
    r = alice.execute(env.agent_jid, 'test/lang', lang='fr').expect_status('executing', 'execute in French')
    expect(r.lang == 'fr', 'the answer has xml:lang=%r, expected fr' % r.lang, r)
    expect(r.form_title == 'Formulaire de salutation', 'title %r' % r.form_title, r)
    expect(r.fields['who'].label == 'Qui', 'label %r' % r.fields['who'].label, r)
    # A bad submission without xml:lang (arrives as "en"): the session stays French.
    bad = alice.command(env.agent_jid, 'test/lang', r.sessionid, 'complete', {'who': ''})
    bad.expect_error('modify', 'bad-request', 'bad-payload', 'empty required field')
    expect(bad.lang == 'fr', 'the error answer has xml:lang=%r, expected fr (the session\'s)' % bad.lang, bad)
    expect(any('Qui' in t for ty, t in bad.notes if ty == 'error'),
           'the error note must name the field by its French label "Qui"', bad)
    done = alice.command(env.agent_jid, 'test/lang', r.sessionid, 'complete', {'who': 'Zoé'})
    done.expect_status('completed', 'complete in a French session')
    expect(done.note_text() == 'Bonjour Zoé', 'note %r, expected the French text' % done.note_text(), done)
    expect(done.lang == 'fr', 'the last answer has xml:lang=%r, expected fr' % done.lang, done)


def test_session_in_english(env):
    alice = env.client('alice')
    r = alice.execute(env.agent_jid, 'test/lang', lang='en').expect_status('executing')
    expect(r.lang == 'en' and r.form_title == 'Greeting form' and r.fields['who'].label == 'Who',
           'English form', r)
    # Switching language mid-session does not switch the session.
    done = alice.command(env.agent_jid, 'test/lang', r.sessionid, 'complete', {'who': 'Zoe'}, lang='fr')
    done.expect_status('completed')
    expect(done.note_text() == 'Hello Zoe', 'note %r, expected English' % done.note_text(), done)
    expect(done.lang == 'en', 'xml:lang=%r, expected the session\'s en' % done.lang, done)


def test_fallback_to_first_listed(env):
    alice = env.client('alice')
    r = alice.execute(env.agent_jid, 'test/lang-fr-first', lang='de').expect_status('completed')
    expect(r.note_text() == 'Bonsoir tout le monde', 'de falls back to the first listed (fr): %r'
           % r.note_text(), r)
    r = alice.execute(env.agent_jid, 'test/lang-fr-first', lang='en').expect_status('completed')
    expect(r.note_text() == 'Good evening everyone', 'en: %r' % r.note_text(), r)
    r = alice.execute(env.agent_jid, 'test/lang', lang='de').expect_status('executing')
    expect(r.form_title == 'Greeting form', 'de falls back to en (first listed): %r' % r.form_title, r)
    alice.command(env.agent_jid, 'test/lang', r.sessionid, 'cancel').expect_status('canceled')


def test_client_stream_language(env):
    # A French client: no xml:lang on its stanzas, the stream's "fr" is stamped by the server.
    fr = env.client('alice', resource='fr', lang='fr')
    r = fr.execute(env.agent_jid, 'test/lang-fr-first').expect_status('completed')
    expect(r.note_text() == 'Bonsoir tout le monde', 'note %r' % r.note_text(), r)
    cmds = fr.commands(env.agent_jid)
    expect(cmds.get('test/lang') == 'Salutation', 'names for a French client: %r' % cmds)


def test_agent_texts_in_french(env):
    """The agent's own texts (error texts, validation notes) follow the requester's language:
    French for fr and fr-CA, English for en and any other language. Admin-written labels are
    used as they are ("Count" has no French)."""
    alice = env.client('alice')
    french = ('fr', 'fr-CA')
    for lang in french + ('en', 'de'):
        fr = lang in french
        # An unknown session: the error's text.
        e = alice.command(env.agent_jid, 'test/lang', 'no-such-session', 'next', {}, lang=lang)
        e.expect_error('cancel', 'not-allowed', 'session-expired', '%s: unknown session' % lang)
        want = ("La session a expiré ou n'existe pas" if fr
                else 'The session has expired or does not exist')
        expect(e.error[3] == want, '%s: error text %r, expected %r' % (lang, e.error[3], want), e)
        expect(e.lang == lang, '%s: the error has xml:lang=%r' % (lang, e.lang), e)
        # An action not offered: bad-action with its text.
        r = alice.execute(env.agent_jid, 'test/echo', lang=lang).expect_status('executing', lang)
        e = alice.command(env.agent_jid, 'test/echo', r.sessionid, 'prev', lang=lang)
        e.expect_error('modify', 'bad-request', 'bad-action', '%s: prev on the first stage' % lang)
        want = ("Cette action n'est pas possible à cette étape" if fr
                else 'This action is not available at this stage')
        expect(e.error[3] == want, '%s: error text %r, expected %r' % (lang, e.error[3], want), e)
        # A bad value: bad-payload, the note naming the field.
        e = alice.command(env.agent_jid, 'test/echo', r.sessionid, 'complete', {'count': 'many'})
        e.expect_error('modify', 'bad-request', 'bad-payload', '%s: count=many' % lang)
        want = ("Count : « many » n'est pas un entier" if fr
                else "Count: 'many' is not an integer")
        expect(e.notes == [('error', want)] and e.error[3] == want,
               '%s: notes %r, expected %r' % (lang, e.notes, want), e)
        alice.command(env.agent_jid, 'test/echo', r.sessionid, 'cancel').expect_status('canceled')
    # A required field left empty, in a session opened in French.
    r = alice.execute(env.agent_jid, 'test/lang', lang='fr').expect_status('executing')
    e = alice.command(env.agent_jid, 'test/lang', r.sessionid, 'complete', {'who': ''})
    e.expect_error('modify', 'bad-request', 'bad-payload', 'empty required field in French')
    expect(e.notes == [('error', 'Qui : champ obligatoire')], 'notes %r' % e.notes, e)
    alice.command(env.agent_jid, 'test/lang', r.sessionid, 'cancel').expect_status('canceled')


if __name__ == '__main__':
    sys.exit(H.main(__file__, [
        test_names_by_language,
        test_disco_echoes_lang,
        test_session_in_french,
        test_session_in_english,
        test_fallback_to_first_listed,
        test_client_stream_language,
        test_agent_texts_in_french,
    ]))
