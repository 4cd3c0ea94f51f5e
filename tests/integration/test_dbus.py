#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""The dbus: and dbus_expose: actions end to end (issue 3): a real Prosody, the real
agent, slixmpp as the requester, and a private dbus-daemon started by this test with
tests/dbus/test-service on it (started late, stopped and restarted by the tests).
What reached the service is checked with dbus-send, independently of the agent: the
service counts and logs every call of its interface (CallCount, CallLog).

Proved here: form values converted to D-Bus types (basic types, an array from a
text-multi field, a{sv} and v with types from the policy, a struct); values that do
not fit refused with bad-payload naming the field, with nothing called; a D-Bus error
is status=completed with an error note; a timeout is an error note; a service that
appears late is "not running" first and works once it runs; dbus_expose commands
follow the service in disco, build typed forms, and never call a method that is not
listed; with methods: ["*"], every method the running service has gets a command; ten slow calls in flight do not hold up another user's command.
The agent's own words (error framing, refusal reasons, expose forms) follow the
requester's language, D-Bus's error names and messages do not.

Waits poll with generous deadlines; the tests look at outcomes and order, never at
durations."""

import json
import sys

import dbusenv
import harness as H
from harness import expect

BUS = None
SERVICE = None

SLOW_MS = 20000  # long enough that bob's quick command always overtakes them

TARGET = '''      bus: {bus}
      destination: org.adhocd.Test
      path: /org/adhocd/Test1
      interface: org.adhocd.Test1
'''

POLICY = '''
sessions: {{max_per_requester: 20, rate_per_minute: 1000}}

commands:
  - node: test/hello
    name: Hello
    allow: {{groups: [flatmates, admins]}}
    reply: "Hello {{from}}"
  - node: dbus/echo-s
    name: Echo a string
    allow: {{groups: [flatmates, admins]}}
    form:
      fields:
        - {{var: text, label: Text}}
    dbus:
{target}      method: EchoS
      args: ["{{text}}"]

  - node: dbus/echo-y
    name: Echo a byte
    allow: {{groups: [flatmates]}}
    form:
      fields:
        - {{var: level, label: Level}}
    dbus:
{target}      method: EchoY
      args: ["{{level}}"]

  - node: dbus/echo-o
    name: Echo an object path
    allow: {{groups: [flatmates]}}
    form:
      fields:
        - {{var: where, label: Where}}
    dbus:
{target}      method: EchoO
      signature: o
      args: ["{{where}}"]

  - node: dbus/echo-x
    name: Echo an int64
    allow: {{groups: [flatmates]}}
    form:
      fields:
        - {{var: n, label: Number, validate: {{datatype: "xs:long"}}}}
    dbus:
{target}      method: EchoX
      args: ["{{n}}"]

  - node: dbus/echo-as
    name: Echo strings
    allow: {{groups: [flatmates]}}
    form:
      fields:
        - {{var: tags, type: text-multi, label: Tags}}
    dbus:
{target}      method: EchoAS
      args: ["{{tags...}}"]

  - node: dbus/mixed
    name: A string, a dict and an array
    allow: {{groups: [flatmates]}}
    form:
      fields:
        - {{var: text, label: Text}}
        - {{var: level, label: Level, validate: {{datatype: "xs:double"}}}}
        - {{var: flag, type: boolean, label: Flag}}
        - {{var: numbers, type: text-multi, label: Numbers}}
    dbus:
{target}      method: DescribeMixed
      args:
        - "{{text}}"
        - {{Volume: {{type: d, value: "{{level}}"}}, Who: {{type: s, value: "{{from_bare}}"}}, Loud: {{type: b, value: "{{flag}}"}}}}
        - "{{numbers...}}"

  - node: dbus/variant
    name: A variant
    allow: {{groups: [flatmates]}}
    form:
      fields:
        - {{var: n, label: N}}
    dbus:
{target}      method: DescribeV
      args: [{{type: q, value: "{{n}}"}}]

  - node: dbus/struct
    name: A struct
    allow: {{groups: [flatmates]}}
    form:
      fields:
        - {{var: name, label: Name}}
        - {{var: age, label: Age, validate: {{datatype: "xs:integer", range: [0, 200]}}}}
        - {{var: ok, type: boolean, label: OK}}
    dbus:
{target}      method: DescribeStruct
      args: [["{{name}}", "{{age}}", "{{ok}}"]]

  - node: dbus/people
    name: People
    allow: {{groups: [flatmates]}}
    dbus:
{target}      method: GetPeople
      columns: [Name, Age, JID]

  - node: dbus/fail
    name: Fail
    allow: {{groups: [flatmates]}}
    form:
      fields:
        - {{var: message, label: Message}}
    dbus:
{target}      method: Fail
      args: ["{{message}}"]

  - node: dbus/hang
    name: Never answers
    allow: {{groups: [flatmates]}}
    dbus:
{target}      method: Hang
      timeout: 1s

  - node: dbus/slow
    name: Slow
    allow: {{groups: [flatmates]}}
    dbus:
{target}      method: Slow
      args: ["{slow}"]
      timeout: 5min

  - node: dbus/volume
    name: Volume
    allow: {{groups: [flatmates]}}
    form:
      fields:
        - {{var: level, label: Volume, validate: {{datatype: "xs:double", range: [0, 1]}}}}
    dbus:
{target}      set_property: {{name: Volume, value: "{{level}}"}}

  - node: expose
    name: Test service
    allow: {{groups: [flatmates]}}
    dbus_expose:
{target}      methods: [EchoI, EchoY, EchoB, EchoAS, Multi, GetPair, DescribeV]

  - node: every
    name: Every method
    allow: {{groups: [flatmates]}}
    dbus_expose:
{target}      methods: ["*"]
'''


def policy(bus):
    return POLICY.format(target=TARGET.format(bus=json.dumps(bus.address)), slow=SLOW_MS)


def run_form(env, user, node, values, lang=None):
    """Executes node (in lang), checks that a form comes, submits values; returns the answer."""
    c = env.client(user)
    r = c.execute(env.agent_jid, node, lang=lang).expect_status('executing', 'execute %s' % node)
    expect(r.form_type == 'form', '%s: expected a form' % node, r)
    return c.command(env.agent_jid, node, r.sessionid, 'complete', values)


def error_notes(r):
    return [t for ty, t in r.notes if ty == 'error']


def expect_error_note(r, text, what):
    r.expect_status('completed', what)
    errs = error_notes(r)
    expect(any(text in t for t in errs), '%s: no error note with %r: %r' % (what, text, r.notes), r)


def expect_refused(r, label, what):
    """bad-payload, and the text (or an error note) names the field."""
    r.expect_error('modify', 'bad-request', 'bad-payload', what)
    texts = [r.error[3] or ''] + error_notes(r)
    expect(any(label in t for t in texts), '%s: the refusal does not name %r: %r' % (what, label, texts), r)


def field_values(r, var):
    f = r.fields.get(var)
    expect(f is not None, 'the result has no field %r' % var, r)
    return f.values


def expose_nodes(env, user='alice'):
    return {n for n in env.client(user).commands(env.agent_jid) if n.startswith('expose/')}


EXPOSED = {'expose/EchoI', 'expose/EchoY', 'expose/EchoB', 'expose/EchoAS', 'expose/Multi',
           'expose/GetPair'}


# --------------------------------------------------------------------------


def test_service_appears_late(env):
    expect(not SERVICE.running(), 'the service must not run yet')
    r = run_form(env, 'alice', 'dbus/echo-s', {'text': 'early'})
    expect_error_note(r, 'org.adhocd.Test is not running on the bus at unix:path=', 'before the service runs')
    expect_error_note(r, 'org.freedesktop.DBus.Error.ServiceUnknown', 'before the service runs')
    # dbus_expose commands are not offered while the service is absent.
    expect(not expose_nodes(env), 'dbus_expose commands shown without the service: %r' % expose_nodes(env))
    SERVICE.start()
    r = run_form(env, 'alice', 'dbus/echo-s', {'text': 'late'}).expect_status('completed', 'after it started')
    expect(not error_notes(r), 'error notes after the service started: %r' % r.notes, r)
    expect(field_values(r, 'echoed') == ['late'], 'echoed %r' % field_values(r, 'echoed'), r)


def test_conversions(env):
    r = run_form(env, 'alice', 'dbus/echo-y', {'level': '255'}).expect_status('completed', 'y')
    expect(field_values(r, 'echoed') == ['255'], 'EchoY: %r' % field_values(r, 'echoed'), r)
    r = run_form(env, 'alice', 'dbus/echo-x', {'n': '-9223372036854775808'}).expect_status('completed', 'x')
    expect(field_values(r, 'echoed') == ['-9223372036854775808'], 'EchoX: %r' % field_values(r, 'echoed'), r)
    r = run_form(env, 'alice', 'dbus/echo-o', {'where': '/a/b'}).expect_status('completed', 'o')
    expect(field_values(r, 'echoed') == ['/a/b'], 'EchoO: %r' % field_values(r, 'echoed'), r)
    # A text-multi field: one array element per line.
    r = run_form(env, 'alice', 'dbus/echo-as', {'tags': 'red\ngreen\nblue'}).expect_status('completed', 'as')
    expect(field_values(r, 'echoed') == ['red', 'green', 'blue'], 'EchoAS: %r' % field_values(r, 'echoed'), r)
    # An a{sv} (types from the policy, a built-in variable, a boolean field) and an au.
    r = run_form(env, 'alice', 'dbus/mixed', {'text': 'hello', 'level': '0.5', 'flag': 'true',
                                              'numbers': '1\n2\n3'}).expect_status('completed', 'mixed')
    got = field_values(r, 'description')[0]
    for part in ('s=hello', 'esv[s=Volume,vd[d=0.5]]', 'esv[s=Who,vs[s=alice@example.test]]',
                 'esv[s=Loud,vb[b=1]]', 'au[u=1,u=2,u=3]'):
        expect(part in got, 'DescribeMixed: %r lacks %r' % (got, part), r)
    r = run_form(env, 'alice', 'dbus/variant', {'n': '7'}).expect_status('completed', 'v')
    expect(field_values(r, 'description') == ['vq[q=7]'], 'DescribeV: %r' % field_values(r, 'description'), r)
    r = run_form(env, 'alice', 'dbus/struct', {'name': 'bob', 'age': '3', 'ok': '1'})
    r.expect_status('completed', 'struct')
    expect(field_values(r, 'description') == ['rsub[s=bob,u=3,b=1]'],
           'DescribeStruct: %r' % field_values(r, 'description'), r)
    # An array of structs comes back as a table with the policy's column labels.
    r = env.client('alice').execute(env.agent_jid, 'dbus/people').expect_status('completed', 'people')
    cols = [c.get('label') for c in r.form.iter('{%s}field' % H.NS_DATA)
            if c.get('label') in ('Name', 'Age', 'JID')]
    expect(cols[:3] == ['Name', 'Age', 'JID'], 'table columns %r' % cols, r)
    rows = [[v.text for v in it.iter('{%s}value' % H.NS_DATA)] for it in r.form.findall('{%s}item' % H.NS_DATA)]
    expect(rows == [['alice', '30', 'alice@example.org'], ['bob', '25', 'bob@example.org']], 'rows %r' % rows, r)


def test_refused_values_call_nothing(env):
    before = SERVICE.call_count()
    cases = [
        ('dbus/echo-y', {'level': '256'}, "Level: '256' is above the maximum 255"),
        ('dbus/echo-y', {'level': 'loud'}, "Level: 'loud' is not an integer"),
        ('dbus/echo-o', {'where': 'not/a/path'}, "Where: 'not/a/path' is not a valid D-Bus object path"),
        ('dbus/variant', {'n': '70000'}, "N: '70000' is above the maximum 65535"),
        ('dbus/mixed', {'text': 'x', 'level': '1', 'flag': 'false', 'numbers': '1\nminus one'},
         "Numbers: 'minus one' is not an integer"),
        # Refused by the form itself (XEP-0122), before the action.
        ('dbus/echo-x', {'n': '9223372036854775808'}, 'Number'),
        ('dbus/volume', {'level': '1.5'}, 'Volume'),
    ]
    for node, values, text in cases:
        expect_refused(run_form(env, 'alice', node, values), text, '%s %r' % (node, values))
    after = SERVICE.call_count()
    expect(after == before, 'refused values still called the service: %d call(s): %r'
           % (after - before, SERVICE.call_log()[-(after - before):] if after > before else []))


def test_dbus_error_and_timeout(env):
    r = run_form(env, 'alice', 'dbus/fail', {'message': 'the disk is on fire'})
    expect_error_note(r, 'org.adhocd.Test1.Error.Failed: the disk is on fire', 'a D-Bus error')
    r = env.client('alice').execute(env.agent_jid, 'dbus/hang')
    expect_error_note(r, 'org.adhocd.Test did not answer within 1s', 'a timeout')
    # The agent and the bus connection are fine afterwards.
    r = run_form(env, 'alice', 'dbus/echo-s', {'text': 'still here'}).expect_status('completed', 'after errors')
    expect(field_values(r, 'echoed') == ['still here'], 'echo after errors', r)
    r = run_form(env, 'alice', 'dbus/volume', {'level': '0.25'}).expect_status('completed', 'set_property')
    v = SERVICE.bus.get_property(SERVICE.NAME, SERVICE.PATH, SERVICE.INTERFACE, 'Volume')
    expect(v == 'double 0.25', 'Volume after set_property: %r' % v)


def test_texts_in_the_requesters_language(env):
    """The agent's framing follows the requester's language; D-Bus's error names and messages,
    and the values, are shown as they come."""
    r = env.client('alice').execute(env.agent_jid, 'dbus/hang', lang='fr')
    expect_error_note(r, "org.adhocd.Test n'a pas répondu en 1s. org.freedesktop.DBus.Error.NoReply",
                      'a timeout, in French')
    r = env.client('alice').execute(env.agent_jid, 'dbus/hang', lang='en')
    expect_error_note(r, 'org.adhocd.Test did not answer within 1s. org.freedesktop.DBus.Error.NoReply',
                      'a timeout, in English')
    r = run_form(env, 'alice', 'dbus/fail', {'message': 'the disk is on fire'}, lang='fr')
    expect_error_note(r, 'org.adhocd.Test1.Error.Failed: the disk is on fire', 'a D-Bus error, in French')

    before = SERVICE.call_count()
    r = run_form(env, 'alice', 'dbus/echo-y', {'level': '256'}, lang='fr')
    expect_refused(r, 'Level : « 256 » est supérieur au maximum 255', 'a refused value, in French')
    r = run_form(env, 'alice', 'dbus/echo-o', {'where': 'not/a/path'}, lang='fr-CA')
    expect_refused(r, "Where : « not/a/path » n'est pas un chemin d'objet D-Bus valide",
                   'a refused path, in French')
    r = run_form(env, 'alice', 'dbus/echo-y', {'level': '256'}, lang='en')
    expect_refused(r, "Level: '256' is above the maximum 255", 'a refused value, in English')
    r = run_form(env, 'alice', 'dbus/echo-y', {'level': '256'}, lang='de')
    expect_refused(r, "Level: '256' is above the maximum 255", 'a refused value, in German (English)')
    expect(SERVICE.call_count() == before, 'a refused value called the service')

    # A dbus_expose form, built for the requester.
    env.wait_until(lambda: 'expose/EchoAS' in expose_nodes(env), 30 * H._SLOW, 'expose/EchoAS')
    c = env.client('alice')
    r = c.execute(env.agent_jid, 'expose/EchoAS', lang='fr').expect_status('executing', 'expose/EchoAS in French')
    instructions = r.form.findtext('{%s}instructions' % H.NS_DATA)
    expect(instructions == 'Appelle org.adhocd.Test1.EchoAS sur org.adhocd.Test.',
           'instructions %r' % instructions, r)
    desc = r.fields['value'].el.findtext('{%s}desc' % H.NS_DATA)
    expect(desc == 'Type D-Bus « as » : un élément par ligne', 'desc %r' % desc, r)
    c.command(env.agent_jid, 'expose/EchoAS', r.sessionid, 'cancel').expect_status('canceled')


def test_expose_follows_the_service(env):
    env.wait_until(lambda: expose_nodes(env) == EXPOSED, 30 * H._SLOW,
                   'the dbus_expose commands to be listed: %s' % sorted(EXPOSED))
    # Not offered to someone the entry does not allow.
    expect(not expose_nodes(env, 'bob'), 'bob sees %r' % expose_nodes(env, 'bob'))
    SERVICE.stop()
    env.wait_until(lambda: not expose_nodes(env), 30 * H._SLOW, 'the dbus_expose commands to go')
    env.client('alice').execute(env.agent_jid, 'expose/EchoI').expect_error('cancel', 'item-not-found',
                                                                             what='expose/EchoI without service')
    SERVICE.start()
    env.wait_until(lambda: expose_nodes(env) == EXPOSED, 30 * H._SLOW, 'the dbus_expose commands to come back')


def test_expose_forms_and_calls(env):
    alice = env.client('alice')
    r = alice.execute(env.agent_jid, 'expose/Multi').expect_status('executing', 'expose/Multi')
    expect(r.form_title == 'Test service: Multi', 'title %r' % r.form_title, r)
    f = r.fields
    expect(f.get('text') is not None and f['text'].type == 'text-single', 'field text: %r' % f, r)
    n = f.get('number')
    expect(n is not None and n.required and n.validate is not None and n.validate.get('datatype') == 'xs:int',
           'field number: required, xs:int', r)
    done = alice.command(env.agent_jid, 'expose/Multi', r.sessionid, 'complete', {'text': 'x', 'number': '21'})
    done.expect_status('completed', 'expose/Multi')
    expect(field_values(done, 'doubled') == ['42'] and field_values(done, 'positive') == ['true'],
           'Multi result', done)

    r = alice.execute(env.agent_jid, 'expose/EchoY').expect_status('executing', 'expose/EchoY')
    rng = r.fields['value'].validate.find('{%s}range' % H.NS_XDATA_VALIDATE)
    expect(rng is not None and (rng.get('min'), rng.get('max')) == ('0', '255'), 'EchoY range', r)
    before = SERVICE.call_count()
    bad = alice.command(env.agent_jid, 'expose/EchoY', r.sessionid, 'complete', {'value': '256'})
    expect_refused(bad, 'value', 'expose/EchoY 256')
    expect(SERVICE.call_count() == before, 'a refused value called the service')
    ok = alice.command(env.agent_jid, 'expose/EchoY', r.sessionid, 'complete', {'value': '200'})
    ok.expect_status('completed', 'expose/EchoY corrected')
    expect(field_values(ok, 'echoed') == ['200'], 'EchoY', ok)

    done = run_form(env, 'alice', 'expose/EchoAS', {'value': 'a\nb'}).expect_status('completed', 'expose/EchoAS')
    expect(field_values(done, 'echoed') == ['a', 'b'], 'EchoAS', done)
    done = run_form(env, 'alice', 'expose/EchoB', {'value': 'true'}).expect_status('completed', 'expose/EchoB')
    expect(field_values(done, 'echoed') == ['true'], 'EchoB', done)
    done = run_form(env, 'alice', 'expose/GetPair', {}).expect_status('completed', 'expose/GetPair')

    # Hidden fields carry the signature; what the requester sends for them is ignored.
    r = alice.execute(env.agent_jid, 'expose/EchoI').expect_status('executing', 'expose/EchoI')
    expect(r.fields['dbus.signature'].type == 'hidden' and r.fields['dbus.signature'].values == ['i'],
           'hidden signature', r)
    done = alice.command(env.agent_jid, 'expose/EchoI', r.sessionid, 'complete',
                         {'value': '5', 'dbus.signature': 's', 'dbus.args': 'other'})
    done.expect_status('completed', 'expose/EchoI with forged hidden fields')
    expect(field_values(done, 'echoed') == ['5'], 'EchoI', done)

    # Methods the service has but the policy does not list cannot be reached.
    before = SERVICE.call_count()
    for node in ('expose/Fail', 'expose/EchoS', 'expose', 'expose/DescribeV'):
        alice.execute(env.agent_jid, node).expect_error('cancel', 'item-not-found', what=node)
    expect(SERVICE.call_count() == before, 'an unlisted method was called: %r' % SERVICE.call_log()[-3:])


def every_nodes(env, user='alice'):
    return {n for n in env.client(user).commands(env.agent_jid) if n.startswith('every/')}


# A sample of the test service's methods: any method an XMPP form can carry gets a command
# under "every"; those taking a variant, a dict or a file descriptor do not.
EVERY_SOME = {'every/EchoS', 'every/EchoI', 'every/Fail', 'every/Multi', 'every/GetPair', 'every/Slow'}
EVERY_NEVER = {'every/DescribeV', 'every/DescribeMixed', 'every/TakeFd'}


def test_expose_every_method(env):
    """methods: ["*"]: the commands follow the methods the running service has."""
    env.wait_until(lambda: EVERY_SOME <= every_nodes(env), 30 * H._SLOW,
                   'the commands of every method to be listed: %s' % sorted(EVERY_SOME))
    nodes = every_nodes(env)
    expect(not (nodes & EVERY_NEVER), 'methods no form can carry are listed: %r' % (nodes & EVERY_NEVER))
    expect('every' not in env.client('alice').commands(env.agent_jid), 'the entry itself is listed')
    expect(not every_nodes(env, 'bob'), 'bob sees %r' % every_nodes(env, 'bob'))
    # Named after the entry and the method.
    names = env.client('alice').commands(env.agent_jid)
    expect(names.get('every/EchoS') == 'Every method: EchoS', 'name %r' % names.get('every/EchoS'))

    # A method that no listed entry exposes is reachable here, with its typed form.
    done = run_form(env, 'alice', 'every/EchoS', {'value': 'star'}).expect_status('completed', 'every/EchoS')
    expect(field_values(done, 'echoed') == ['star'], 'every/EchoS', done)
    r = run_form(env, 'alice', 'every/Fail', {'message': 'from every'})
    expect_error_note(r, 'org.adhocd.Test1.Error.Failed: from every', 'every/Fail')
    # Refused values still call nothing.
    before = SERVICE.call_count()
    expect_refused(run_form(env, 'alice', 'every/EchoY', {'value': '300'}), 'value', 'every/EchoY 300')
    expect(SERVICE.call_count() == before, 'a refused value called the service')

    # Not for bob, and nothing that is no method of the service.
    before = SERVICE.call_count()
    env.client('bob').execute(env.agent_jid, 'every/EchoS').expect_error('cancel', 'item-not-found',
                                                                         what='bob: every/EchoS')
    for node in ('every', 'every/NoSuchMethod', 'every/a.b', 'every/DescribeV', 'every/EchoS/x'):
        env.client('alice').execute(env.agent_jid, node).expect_error('cancel', 'item-not-found', what=node)
    expect(SERVICE.call_count() == before, 'a refused node called the service: %r' % SERVICE.call_log()[-3:])

    # The service goes: the commands go; it comes back: so do they.
    SERVICE.stop()
    env.wait_until(lambda: not every_nodes(env), 30 * H._SLOW, 'the every/ commands to go')
    env.client('alice').execute(env.agent_jid, 'every/EchoS').expect_error('cancel', 'item-not-found',
                                                                           what='every/EchoS without service')
    SERVICE.start()
    env.wait_until(lambda: EVERY_SOME <= every_nodes(env), 30 * H._SLOW, 'the every/ commands to come back')
    done = run_form(env, 'alice', 'every/EchoS', {'value': 'again'}).expect_status('completed', 'again')
    expect(field_values(done, 'echoed') == ['again'], 'every/EchoS after a restart', done)


def test_slow_calls_do_not_hold_up_others(env):
    alice = env.client('alice')
    bob = env.client('bob')
    before = SERVICE.call_count()
    order = []
    slow = []
    for i in range(10):
        el = alice.iq_element('set', alice.command_element('dbus/slow', 'execute'), env.agent_jid)
        f = alice.send_iq_async(el, timeout=SLOW_MS // 1000 + 120)
        f.add_done_callback(lambda _f, i=i: order.append('slow%d' % i))
        slow.append(f)
    # All ten are with the service before bob asks.
    env.wait_until(lambda: SERVICE.call_count() >= before + 10, 30 * H._SLOW, 'the ten Slow calls to arrive')
    expect(not any(f.done() for f in slow), 'a slow call answered early')
    r = run_form(env, 'bob', 'dbus/echo-s', {'text': 'bob'}).expect_status('completed', "bob's command")
    order.append('bob')
    expect(field_values(r, 'echoed') == ['bob'], "bob's echo", r)
    expect(order == ['bob'], "bob's answer must come before the slow ones; order: %r" % order)
    for i, f in enumerate(slow):
        res = env.run_checked(f, SLOW_MS // 1000 + 120).expect_status('completed', 'slow call %d' % i)
        expect(field_values(res, 'waited') == [str(SLOW_MS)], 'slow call %d result' % i, res)


def test_bus_restart(env):
    """The D-Bus daemon is killed and restarted: meanwhile dbus commands say "bus
    unavailable" (and other commands still answer); afterwards they work again."""
    SERVICE.stop()
    BUS.stop()
    r = run_form(env, 'alice', 'dbus/echo-s', {'text': 'during'})
    expect_error_note(r, 'bus unavailable', 'while the bus is down')
    env.client('alice').execute(env.agent_jid, 'test/hello').expect_status(
        'completed', 'another command while the bus is down')
    BUS.start()
    SERVICE.start()

    def works():
        r = run_form(env, 'alice', 'dbus/echo-s', {'text': 'after'})
        return r.status == 'completed' and not error_notes(r) and field_values(r, 'echoed') == ['after']
    env.wait_until(works, 90, 'dbus commands to work again after the bus restart', interval=1)


if __name__ == '__main__':
    if not dbusenv.shutil.which('dbus-daemon') or not dbusenv.shutil.which('dbus-send'):
        print('dbus-daemon and dbus-send are needed (tools/install-deps.sh)')
        sys.exit(77)
    BUS = dbusenv.PrivateBus()
    failed = True
    rc = 1
    try:
        BUS.start()
        SERVICE = dbusenv.TestService(BUS)
        rc = H.main(__file__, [
            test_service_appears_late,
            test_conversions,
            test_refused_values_call_nothing,
            test_dbus_error_and_timeout,
            test_expose_follows_the_service,
            test_expose_forms_and_calls,
            test_texts_in_the_requesters_language,
            test_expose_every_method,
            test_slow_calls_do_not_hold_up_others,
            test_bus_restart,
        ], policy=policy(BUS))
        failed = rc != 0
    finally:
        if SERVICE is not None:
            SERVICE.stop()
        BUS.close(keep=failed)
    sys.exit(rc)
