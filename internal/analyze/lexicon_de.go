package analyze

// lexiconDE is Copydesk's own German sentiment lexicon: word:polarity,
// -3..+3. Inflected adjective forms (-e, -en, -er, -es, -em) are generated.
// Written for Copydesk (see DATA-LICENSES.md); not derived from SentiWS or
// any other list.
const lexiconDE = `
gut:2 besser:2 beste:3 bestens:3 super:2 toll:3 großartig:3 hervorragend:3 ausgezeichnet:3 exzellent:3
wunderbar:3 wunderschön:3 schön:2 prima:2 klasse:2 fantastisch:3 genial:3 perfekt:3 angenehm:2 lecker:2
freundlich:2 hilfsbereit:2 nett:2 herzlich:2 zuverlässig:2 vertrauenswürdig:2 stabil:1 schnell:1
  praktisch:2 nützlich:2 hilfreich:2 wertvoll:2 effizient:2 effektiv:2 günstig:2
preiswert:2 kostenlos:1 bequem:2 komfortabel:2 gemütlich:2 sauber:1 ordentlich:1 kompetent:2 professionell:1
zufrieden:2 glücklich:3 froh:2 dankbar:2 begeistert:3 stolz:2 erfreut:2 danke:2 lieben:3 liebe:2
gefällt:2 mögen:1 genießen:2 empfehlen:2 empfehlenswert:3 erfolg:2 erfolgreich:2 gelungen:2 gewinn:1
vorteil:2 vorteile:2 lösung:1 gelöst:2 verbessert:2 verbesserung:2 fortschritt:2 chance:1 freude:3
spaß:2 vergnügen:2 glück:3 traumhaft:3 herrlich:3 spitze:3 übersichtlich:2 intuitiv:2 positiv:2
optimistisch:2 hoffnungsvoll:2 beeindruckend:2 überzeugend:2 bemerkenswert:2 ideal:2 sorgfältig:2
schlecht:-2 schlechter:-2 schlechteste:-3 schrecklich:-3 furchtbar:-3 fürchterlich:-3 grauenhaft:-3
katastrophal:-3 katastrophe:-3 mies:-2 miserabel:-3 enttäuschend:-2 enttäuscht:-2 enttäuschung:-2
ärgerlich:-2 verärgert:-2 ärger:-2 wütend:-3 sauer:-2 traurig:-2 unglücklich:-2 unzufrieden:-2 leider:-1
hassen:-3 hasse:-3 problem:-2 probleme:-2 problematisch:-2 schwierig:-1 kompliziert:-1 umständlich:-2
verwirrend:-2 unklar:-1 chaotisch:-2 chaos:-2 langsam:-1 träge:-2 kaputt:-2 defekt:-2 beschädigt:-2
schaden:-2 fehler:-2 fehlerhaft:-2 falsch:-2 mangelhaft:-2 mangel:-1 nutzlos:-3 wertlos:-3 sinnlos:-2
teuer:-1 überteuert:-2 verschwendung:-2 betrug:-3 betrüger:-3 abzocke:-3 gefälscht:-2 unzuverlässig:-2
unsicher:-2 gefährlich:-2 gefahr:-2 risiko:-1 riskant:-2 bedrohung:-2 schmerz:-2 schmerzhaft:-2 stress:-2
stressig:-2 sorge:-1 angst:-2 ängstlich:-2 beschwerde:-2 beschwerden:-2 unfreundlich:-2
unhöflich:-2 frech:-2 inkompetent:-3 faul:-2 nachlässig:-2 unakzeptabel:-3 inakzeptabel:-3 lächerlich:-2
dumm:-2 blöd:-2 langweilig:-2 anstrengend:-2 müde:-1 schwach:-1 verlust:-2 verloren:-1 verspätet:-1
verspätung:-1 verzögerung:-1 absturz:-2 abgestürzt:-2 versagt:-2 misserfolg:-2 gescheitert:-2
albtraum:-3 tragisch:-3 elend:-3 deprimierend:-2 hoffnungslos:-3 einsam:-2 peinlich:-2 unangenehm:-2
krank:-2 schmutzig:-2 dreckig:-2 eng:-1 grausam:-3 böse:-2 gewalt:-3 schlimm:-2 schlimmer:-2
`
