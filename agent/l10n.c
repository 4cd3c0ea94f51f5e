/* SPDX-License-Identifier: MIT */
#include "l10n.h"

#include <strings.h>

/* Sorted by msgid (strcmp), for bsearch(); tests/test-l10n.c checks the order. French: "vous",
 * short phrasing, a plain space before ':', ';', '?' and '!', « » around quoted values. */
static const struct l10n_entry catalog[] = {
    {"%s %s: %s; now %s.", "%s %s : %s ; état actuel : %s."},
    {"%s asks for an authorization that adhocd cannot give interactively; the machine's "
     "administrator must grant this action to adhocd's user with a polkit rule "
     "(/etc/polkit-1/rules.d/).",
     "%s demande une autorisation qu'adhocd ne peut pas donner de façon interactive ; "
     "l'administrateur de la machine doit accorder cette action à l'utilisateur d'adhocd par une "
     "règle polkit (/etc/polkit-1/rules.d/)."},
    {"%s did not answer within %s.", "%s n'a pas répondu en %s."},
    {"%s does not exist (any more).", "%s n'existe pas (ou plus)."},
    {"%s has no method %s.%s at %s (another version of the program?).",
     "%s n'a pas de méthode %s.%s en %s (une autre version du programme ?)."},
    {"%s has no method %s.%s at %s according to its introspection data (if it is there, give its "
     "type in the policy).",
     "%s n'a pas de méthode %s.%s en %s d'après ses données d'introspection (si elle existe, "
     "donnez son type dans la configuration)."},
    {"%s has no property %s.%s at %s (another version of the program?).",
     "%s n'a pas de propriété %s.%s en %s (une autre version du programme ?)."},
    {"%s has no property %s.%s at %s according to its introspection data (if it is there, give its "
     "type in the policy).",
     "%s n'a pas de propriété %s.%s en %s d'après ses données d'introspection (si elle existe, "
     "donnez son type dans la configuration)."},
    {"%s has quit.", "%s s'est fermé."},
    {"%s has quit. No other player is running.",
     "%s s'est fermé. Aucun autre lecteur n'est lancé."},
    {"%s is %s, which is not in the allowed units; nothing was done.",
     "%s est %s, qui ne fait pas partie des unités autorisées ; rien n'a été fait."},
    {"%s is not running on %s.", "%s n'est pas lancé sur %s."},
    {"%s is not running, or no longer has %s.%s.", "%s n'est pas lancé, ou n'a plus %s.%s."},
    {"%s is required", "%s : champ obligatoire"},
    {"%s refused the values it was given.", "%s a refusé les valeurs données."},
    {"%s refused: %s: %s", "%s a refusé : %s : %s"},
    {"%s went away without answering.", "%s est parti sans répondre."},
    {"%s.%s changed since its form was sent (it takes '%s' now, not '%s'); nothing was called. Run "
     "the command again.",
     "%s.%s a changé depuis l'envoi de son formulaire (elle prend « %s » maintenant, et non "
     "« %s ») ; rien n'a été appelé. Relancez la commande."},
    {"%s.%s takes a file descriptor, which adhocd never passes.",
     "%s.%s prend un descripteur de fichier, ce qu'adhocd ne transmet jamais."},
    {"%s: %.*s%s is above the maximum %s", "%s : %.*s%s est supérieur au maximum %s"},
    {"%s: %.*s%s is below the minimum %s", "%s : %.*s%s est inférieur au minimum %s"},
    {"%s: %.*s%s is not within the allowed range",
     "%s : %.*s%s n'est pas dans l'intervalle permis"},
    {"%s: %s · %s", "%s : %s · %s"},
    {"%s: %s%s", "%s : %s%s"},
    {"%s: '%.*s%s' does not match the pattern %s", "%s : « %.*s%s » ne correspond pas au motif %s"},
    {"%s: '%.*s%s' is not %s", "%s : « %.*s%s » n'est pas %s"},
    {"%s: '%.*s%s' is not a boolean", "%s : « %.*s%s » n'est pas un booléen"},
    {"%s: '%.*s%s' is not a valid JID", "%s : « %.*s%s » n'est pas un JID valide"},
    {"%s: '%.*s%s' is not one of the offered choices",
     "%s : « %.*s%s » ne fait pas partie des choix proposés"},
    {"%s: '%.*s…' %s", "%s : « %.*s… » %s"},
    {"%s: '%s' %s", "%s : « %s » %s"},
    {"%s: line breaks are not allowed", "%s : les retours à la ligne ne sont pas permis"},
    {"%s: more than %d lines", "%s : plus de %d lignes"},
    {"%s: no value given (the value %s)", "%s : aucune valeur donnée (la valeur %s)"},
    {"%s: only one value is allowed", "%s : une seule valeur est permise"},
    {"%s: takes one value, got %zu", "%s : une seule valeur attendue, %zu reçues"},
    {"%s: the form's range is invalid", "%s : l'intervalle défini par le formulaire est invalide"},
    {"%s: the value %s", "%s : la valeur %s"},
    {"%s: volume %d %%", "%s : volume %d %%"},
    {"(file descriptor)", "(descripteur de fichier)"},
    {"(no lines)", "(aucune ligne)"},
    {"(unreadable: the agent's user needs the systemd-journal group)",
     "(illisible : l'utilisateur de l'agent doit être dans le groupe systemd-journal)"},
    {"1 day", "1 jour"},
    {"1 hour", "1 heure"},
    {"15 minutes", "15 minutes"},
    {"4 hours", "4 heures"},
    {"A command needs a sender and a node", "Une commande a besoin d'un expéditeur et d'un nœud"},
    {"A manual status replaces the computed one for a while. Alerts keep following the machine.",
     "Un statut manuel remplace le statut calculé pendant un temps. Les alertes continuent de "
     "suivre la machine."},
    {"A new session starts with execute", "Une nouvelle session commence par execute"},
    {"Action", "Action"},
    {"Active", "Activité"},
    {"Album", "Album"},
    {"Argument %zu", "Argument %zu"},
    {"Artist", "Artiste"},
    {"Available", "Disponible"},
    {"Away", "Absent"},
    {"Back 10 s", "Reculer de 10 s"},
    {"Calls %s.%s on %s.", "Appelle %s.%s sur %s."},
    {"Calls %s.%s on %s. It takes no arguments.",
     "Appelle %s.%s sur %s. Cette méthode ne prend aucun argument."},
    {"Canceled by the requester", "Annulé par le demandeur"},
    {"Clear the manual status (publish the computed one again)",
     "Effacer le statut manuel (publier de nouveau le statut calculé)"},
    {"D-Bus type '%.*s'", "Type D-Bus « %.*s »"},
    {"D-Bus type '%.*s': one element per line", "Type D-Bus « %.*s » : un élément par ligne"},
    {"Description", "Description"},
    {"Details of", "Détails de"},
    {"Details of (optional)", "Détails de (facultatif)"},
    {"Do not disturb", "Ne pas déranger"},
    {"Done (exit 0).", "Terminé (code 0)."},
    {"Done (exit 0); the table is empty.", "Terminé (code 0) ; le tableau est vide."},
    {"Done.", "Terminé."},
    {"Every allowed unit is masked.", "Toutes les unités autorisées sont masquées."},
    {"Extended away", "Absent pour longtemps"},
    {"For", "Pendant"},
    {"Forward 10 s", "Avancer de 10 s"},
    {"Free for chat", "Disponible pour discuter"},
    {"Internal error", "Erreur interne"},
    {"Invalid form data", "Données du formulaire invalides"},
    {"Job result", "Résultat de la tâche"},
    {"Journal", "Journal"},
    {"Load", "Chargement"},
    {"Main PID", "PID principal"},
    {"Malformed request", "Requête mal formée"},
    {"Media remote", "Télécommande"},
    {"Memory", "Mémoire"},
    {"Next", "Suivant"},
    {"Next track", "Piste suivante"},
    {"No allowed unit exists (yet).", "Aucune unité autorisée n'existe (encore)."},
    {"No allowed unit exists.", "Aucune unité autorisée n'existe."},
    {"No journal lines for %s.", "Aucune ligne de journal pour %s."},
    {"No media player is running.", "Aucun lecteur multimédia n'est lancé."},
    {"No such command", "Commande inconnue"},
    {"Not allowed", "Non autorisé"},
    {"Not confirmed; nothing was done.", "Non confirmé ; rien n'a été fait."},
    {"Nothing", "Rien"},
    {"Now playing", "En cours de lecture"},
    {"Now published: %s", "Publié maintenant : %s"},
    {"One line; empty: no text", "Une ligne ; vide : pas de texte"},
    {"Other player", "Autre lecteur"},
    {"Out of memory.", "Mémoire insuffisante."},
    {"Output", "Sortie"},
    {"Paused", "En pause"},
    {"Play/Pause", "Lecture/Pause"},
    {"Player", "Lecteur"},
    {"Playing", "Lecture en cours"},
    {"Presence monitoring is not running", "La surveillance de présence n'est pas lancée"},
    {"Previous", "Précédent"},
    {"Previous track", "Piste précédente"},
    {"Published now", "Publié actuellement"},
    {"Refresh", "Actualiser"},
    {"Reload", "Recharger"},
    {"Reload a service", "Recharger un service"},
    {"Reload {unit}?", "Recharger {unit} ?"},
    {"Restart", "Redémarrer"},
    {"Restart a service", "Redémarrer un service"},
    {"Restart {unit}?", "Redémarrer {unit} ?"},
    {"Result", "Résultat"},
    {"Result %zu", "Résultat %zu"},
    {"Service status", "État des services"},
    {"Services", "Services"},
    {"Set status", "Changer le statut"},
    {"Set the status", "Changer le statut"},
    {"Set volume", "Régler le volume"},
    {"Show", "Disponibilité"},
    {"Since", "Depuis"},
    {"Start", "Démarrer"},
    {"Start a service", "Démarrer un service"},
    {"Start {unit}?", "Démarrer {unit} ?"},
    {"Started; the outcome will be sent as a message.",
     "Lancé ; le résultat vous sera envoyé par message."},
    {"Status", "État"},
    {"Status text", "Texte du statut"},
    {"Status text: at most 1024 bytes of one-line text",
     "Texte du statut : 1024 octets au plus, sur une ligne"},
    {"Stop", "Arrêter"},
    {"Stop a service", "Arrêter un service"},
    {"Stop {unit}?", "Arrêter {unit} ?"},
    {"Stopped", "Arrêté"},
    {"Sub", "Sous-état"},
    {"Sub-state", "Sous-état"},
    {"The D-Bus connection is down; try again shortly.",
     "La connexion D-Bus est coupée ; réessayez dans un instant."},
    {"The D-Bus connection to systemd is down; try again shortly.",
     "La connexion D-Bus à systemd est coupée ; réessayez dans un instant."},
    {"The D-Bus policy of %s does not let adhocd's user call %s.%s; the machine's administrator "
     "must allow it in the bus configuration (/etc/dbus-1/system.d/).",
     "Sur %s, la politique D-Bus ne permet pas à l'utilisateur d'adhocd d'appeler %s.%s ; "
     "l'administrateur de la machine doit l'autoriser dans la configuration du bus "
     "(/etc/dbus-1/system.d/)."},
    {"The command is still running", "La commande est toujours en cours"},
    {"The form could not be prepared", "Le formulaire n'a pas pu être préparé"},
    {"The form could not be read.", "Le formulaire n'a pas pu être lu."},
    {"The journal could not be read (%s); the agent's user needs the systemd-journal group.",
     "Le journal n'a pas pu être lu (%s) ; l'utilisateur de l'agent doit être dans le groupe "
     "systemd-journal."},
    {"The media remote is not running.", "La télécommande n'est pas lancée."},
    {"The media remote was restarted; try again.", "La télécommande a redémarré ; réessayez."},
    {"The output was cut after %llu bytes %s; the table may be incomplete.",
     "La sortie a été coupée après %llu octets %s ; le tableau est peut-être incomplet."},
    {"The player", "Le lecteur"},
    {"The policy of this command does not fit %s.%s: %s",
     "La configuration de cette commande ne correspond pas à %s.%s : %s"},
    {"The property %s is read-only.", "La propriété %s est en lecture seule."},
    {"The reply is long: only its first %d items are shown.",
     "La réponse est longue : seuls ses %d premiers éléments sont affichés."},
    {"The reply of %s could not be read.", "La réponse de %s n'a pas pu être lue."},
    {"The session has expired or does not exist", "La session a expiré ou n'existe pas"},
    {"The systemd commands are not running.", "Les commandes systemd ne sont pas lancées."},
    {"The systemd commands were restarted; look at the unit's state before trying again.",
     "Les commandes systemd ont redémarré ; vérifiez l'état de l'unité avant de réessayer."},
    {"This action is not allowed.", "Cette action n'est pas autorisée."},
    {"This action is not available at this stage", "Cette action n'est pas possible à cette étape"},
    {"This command is already running (at most %u at a time); try again later.",
     "Cette commande est déjà en cours (%u à la fois au plus) ; réessayez plus tard."},
    {"This request was already handled; its answer is no longer available",
     "Cette requête a déjà été traitée ; sa réponse n'est plus disponible"},
    {"This session belongs to someone else", "Cette session appartient à quelqu'un d'autre"},
    {"This verb is not allowed.", "Cette opération n'est pas autorisée."},
    {"Title", "Titre"},
    {"Too busy; try again later", "Trop occupé ; réessayez plus tard"},
    {"Too many programs are running (%u at most); try again later.",
     "Trop de programmes sont en cours (%u au plus) ; réessayez plus tard."},
    {"Too many requests; wait a minute and try again",
     "Trop de requêtes ; attendez une minute et réessayez"},
    {"Unit", "Unité"},
    {"Unit file", "Fichier d'unité"},
    {"Unit: '%s' is not one of the allowed units.",
     "Unité : « %s » n'est pas une des unités autorisées."},
    {"Unit: choose a unit.", "Unité : choisissez une unité."},
    {"Unit: not one of the allowed units.", "Unité : ce n'est pas une des unités autorisées."},
    {"Unknown", "Inconnu"},
    {"Unknown action", "Action inconnue"},
    {"Unknown action.", "Action inconnue."},
    {"Unsupported language", "Langue non prise en charge"},
    {"Until cleared", "Jusqu'à ce qu'il soit effacé"},
    {"Volume", "Volume"},
    {"Volume (%)", "Volume (%)"},
    {"Volume down", "Baisser le volume"},
    {"Volume up", "Monter le volume"},
    {"Volume: give a value from 0 to 100.", "Volume : donnez une valeur de 0 à 100."},
    {"You already run %u programs, your share of the %u allowed at once; try again when one has "
     "finished.",
     "Vous avez déjà %u programmes en cours, votre part des %u permis à la fois ; réessayez quand "
     "l'un d'eux sera terminé."},
    {"You have too many open sessions; finish or cancel one",
     "Vous avez trop de sessions ouvertes ; terminez-en ou annulez-en une"},
    {"Your command '%s' finished while adhocd was offline:",
     "Votre commande « %s » s'est terminée pendant qu'adhocd était hors ligne :"},
    {"[%s] Interrupted: the agent is stopping.", "[%s] Interrompu : l'agent s'arrête."},
    {"[%s] The outcome is lost: out of memory.",
     "[%s] Le résultat est perdu : mémoire insuffisante."},
    {"a URI", "une URI"},
    {"a boolean (true or false)", "un booléen (true ou false)"},
    {"a date (YYYY-MM-DD)", "une date (AAAA-MM-JJ)"},
    {"a date and time (YYYY-MM-DDThh:mm:ss)", "une date et une heure (AAAA-MM-JJThh:mm:ss)"},
    {"a decimal number", "un nombre décimal"},
    {"a dict entry '{...}' may only follow 'a'",
     "une entrée de dictionnaire « {...} » ne peut suivre que « a »"},
    {"a dict entry has exactly two types", "une entrée de dictionnaire a exactement deux types"},
    {"a dict key must be a basic type", "une clé de dictionnaire doit être d'un type de base"},
    {"a field has an invalid var", "un champ a une var invalide"},
    {"a field has no var", "un champ n'a pas de var"},
    {"a language tag", "une étiquette de langue"},
    {"a number", "un nombre"},
    {"a string", "une chaîne de caractères"},
    {"a time (hh:mm:ss)", "une heure (hh:mm:ss)"},
    {"adhocd is shutting down", "adhocd s'arrête"},
    {"adhocd is stopping", "adhocd s'arrête"},
    {"an integer", "un entier"},
    {"an integer from -128 to 127", "un entier de -128 à 127"},
    {"an integer from -2147483648 to 2147483647", "un entier de -2147483648 à 2147483647"},
    {"an integer from -32768 to 32767", "un entier de -32768 à 32767"},
    {"an integer from -9223372036854775808 to 9223372036854775807",
     "un entier de -9223372036854775808 à 9223372036854775807"},
    {"an integer from 0 to 4294967295", "un entier de 0 à 4294967295"},
    {"an integer of 0 or more", "un entier positif ou nul"},
    {"an integer of 1 or more", "un entier supérieur ou égal à 1"},
    {"another unit", "une autre unité"},
    {"argument %zu", "argument %zu"},
    {"arrays nested too deeply", "tableaux imbriqués trop profondément"},
    {"bus unavailable: adhocd is not connected to %s right now and keeps trying; try again "
     "shortly.",
     "bus indisponible : adhocd n'a pas de connexion avec %s pour l'instant et continue "
     "d'essayer ; réessayez bientôt."},
    {"cannot be controlled (CanControl is false)",
     "ne peut pas être piloté (CanControl vaut false)"},
    {"cannot be converted to D-Bus type '%c'",
     "ne peut pas être converti dans le type D-Bus « %c »"},
    {"cannot change directory to %s: %s", "impossible d'aller dans le dossier %s : %s"},
    {"cannot execute %s: %s", "impossible d'exécuter %s : %s"},
    {"cannot go back to the previous track (CanGoPrevious is false)",
     "ne peut pas revenir à la piste précédente (CanGoPrevious vaut false)"},
    {"cannot pause (CanPause is false)", "ne peut pas se mettre en pause (CanPause vaut false)"},
    {"cannot play (CanPlay is false)", "ne peut pas lire (CanPlay vaut false)"},
    {"cannot seek (CanSeek is false)",
     "ne peut pas se déplacer dans la piste (CanSeek vaut false)"},
    {"cannot set up a process for %s: %s", "impossible de préparer un processus pour %s : %s"},
    {"cannot skip to the next track (CanGoNext is false)",
     "ne peut pas passer à la piste suivante (CanGoNext vaut false)"},
    {"cannot switch to the configured user or group to run %s: %s",
     "impossible de prendre l'utilisateur ou le groupe configuré pour lancer %s : %s"},
    {"empty struct", "structure vide"},
    {"exit status %d", "code de sortie %d"},
    {"field '%s' has a malformed value", "le champ « %s » a une valeur mal formée"},
    {"field '%s' has a value over %d bytes", "le champ « %s » a une valeur de plus de %d octets"},
    {"field '%s' has a value with invalid characters",
     "le champ « %s » a une valeur avec des caractères invalides"},
    {"field '%s' is given more than once", "le champ « %s » est donné plusieurs fois"},
    {"form type must be submit", "le type du formulaire doit être submit"},
    {"has no volume control", "n'a pas de réglage du volume"},
    {"incomplete type", "type incomplet"},
    {"is above the maximum %lld", "est supérieur au maximum %lld"},
    {"is above the maximum %llu", "est supérieur au maximum %llu"},
    {"is below the minimum %lld", "est inférieur au minimum %lld"},
    {"is not a boolean (true, false, 1 or 0)", "n'est pas un booléen (true, false, 1 ou 0)"},
    {"is not a number", "n'est pas un nombre"},
    {"is not a valid D-Bus object path", "n'est pas un chemin d'objet D-Bus valide"},
    {"is not a valid D-Bus signature: %s", "n'est pas une signature D-Bus valide : %s"},
    {"is not an integer", "n'est pas un entier"},
    {"is not valid UTF-8 text", "n'est pas un texte UTF-8 valide"},
    {"is out of the range of a double", "est hors de l'intervalle d'un double"},
    {"killed by signal %s", "tué par le signal %s"},
    {"longer than 255 bytes", "plus de 255 octets"},
    {"manual, %llu min left", "manuel, encore %llu min"},
    {"manual, %llus left", "manuel, encore %llu s"},
    {"manual, until cleared", "manuel, jusqu'à effacement"},
    {"not a data form", "ce n'est pas un formulaire de données"},
    {"nothing published yet", "rien de publié pour l'instant"},
    {"offline: nothing published", "hors ligne : rien de publié"},
    {"rule %zu: %s", "règle %zu : %s"},
    {"structs nested too deeply", "structures imbriquées trop profondément"},
    {"systemd gave an unreadable job.", "systemd a renvoyé une tâche illisible."},
    {"systemd gave an unreadable unit.", "systemd a renvoyé une unité illisible."},
    {"systemd is not reachable (%s: %s); try again shortly.",
     "systemd est injoignable (%s : %s) ; réessayez dans un instant."},
    {"systemd refused to %s %s: %s: %s", "systemd a refusé l'opération %s sur %s : %s : %s"},
    {"systemd refused to %s %s: permission denied (%s). The agent's user may not manage this unit: "
     "the machine's administrator must grant it %s on %s with a polkit rule for "
     "org.freedesktop.systemd1.manage-units (see examples/polkit/50-adhocd.rules, installed to "
     "/etc/polkit-1/rules.d/).",
     "systemd a refusé l'opération %s sur %s : permission refusée (%s). L'utilisateur de l'agent "
     "ne peut pas gérer cette unité : l'administrateur de la machine doit lui accorder %s sur %s "
     "par une règle polkit pour org.freedesktop.systemd1.manage-units (voir "
     "examples/polkit/50-adhocd.rules, à installer dans /etc/polkit-1/rules.d/)."},
    {"table output: line %zu has %zu cells, the header has %zu",
     "sortie en tableau : la ligne %zu a %zu cellules, l'en-tête en a %zu"},
    {"table output: the header line has an empty or repeated column name",
     "sortie en tableau : la ligne d'en-tête a un nom de colonne vide ou répété"},
    {"table output: the program printed no header line",
     "sortie en tableau : le programme n'a écrit aucune ligne d'en-tête"},
    {"the bus at %s", "le bus à l'adresse %s"},
    {"the form has more than %d fields", "le formulaire a plus de %d champs"},
    {"the form has more than %d values", "le formulaire a plus de %d valeurs"},
    {"the session bus", "le bus de session"},
    {"the system bus", "le bus système"},
    {"the units", "les unités"},
    {"timed out after %s; the process group was killed",
     "délai dépassé après %s ; le groupe de processus a été tué"},
    {"unknown", "inconnu"},
    {"unknown type code", "code de type inconnu"},
    {"unterminated '('", "« ( » sans « ) »"},
    {"unterminated '{'", "« { » sans « } »"},
    {"valid", "valide"},
};

/* As i18n_pick(): the primary subtag decides, so "fr-CA" and "FR" are French. */
static bool lang_is_french(const char *lang)
{
        return lang && strncasecmp(lang, "fr", 2) == 0 && (lang[2] == 0 || lang[2] == '-');
}

static int entry_compare(const void *key, const void *entry)
{
        return strcmp(key, ((const struct l10n_entry *)entry)->msgid);
}

const char *l10n(const char *lang, const char *msgid)
{
        const struct l10n_entry *e;

        if (!msgid || !lang_is_french(lang))
                return msgid;
        e = bsearch(msgid, catalog, ELEMENTSOF(catalog), sizeof(catalog[0]), entry_compare);
        return e ? e->fr : msgid;
}

int l10n_i18n(struct i18n *ret, const char *msgid)
{
        struct i18n t = {0};
        const char *fr = l10n("fr", msgid);
        struct i18n_entry *e;
        int r;

        r = i18n_set_plain(&t, msgid);
        if (r < 0)
                return r;
        if (fr != msgid) {
                e = array_grow((void **)&t.v, &t.n, sizeof(*e));
                if (!e)
                        goto fail;
                e->lang = strdup("fr");
                e->text = strdup(fr);
                if (!e->lang || !e->text)
                        goto fail;
        }
        i18n_done(ret);
        *ret = t;
        return 0;
fail:
        i18n_done(&t);
        return -ENOMEM;
}

const struct l10n_entry *l10n_catalog(size_t *ret_n)
{
        *ret_n = ELEMENTSOF(catalog);
        return catalog;
}
