package analyze

// lexiconFR is Copydesk's own French sentiment lexicon: word:polarity,
// -3..+3. Feminine and plural adjective forms are generated. Written for
// Copydesk (see DATA-LICENSES.md); not derived from FEEL or any other list.
const lexiconFR = `
bon:2 bonne:2 meilleur:2 excellent:3 parfait:3 super:2 génial:3 formidable:3 magnifique:3 merveilleux:3
merveilleuse:3 superbe:3 beau:2 belle:2 joli:2 agréable:2 délicieux:3 délicieuse:3 sympathique:2 sympa:2
aimable:2 gentil:2 gentille:2 chaleureux:2 chaleureuse:2 fiable:2 stable:1 rapide:1 simple:1 facile:2
pratique:2 utile:2 efficace:2 précieux:2 précieuse:2 abordable:2 gratuit:1 confortable:2
compétent:2 professionnel:1 content:2 heureux:3 heureuse:3 satisfait:2 ravi:3 enchanté:3 reconnaissant:2
fier:2 fière:2 merci:2 aimer:2 adorer:3 adore:3 aime:2 apprécier:2 apprécie:2 recommande:2 recommander:2
succès:2 réussi:2 réussite:2 gagner:2 avantage:2 avantages:2 solution:1 résolu:2 amélioré:2 amélioration:2
progrès:2 joie:3 plaisir:2 bonheur:3 impressionnant:2 remarquable:2 idéal:2 clair:1 intuitif:2 positif:2
optimiste:2 soigneux:2 soigné:2 exceptionnel:3 incroyable:2 top:2 bravo:3 félicitations:3
mauvais:-2 mauvaise:-2 pire:-3 horrible:-3 terrible:-3 affreux:-3 affreuse:-3 épouvantable:-3 nul:-2
nulle:-2 décevant:-2 déçu:-2 déception:-2 énervant:-2 agaçant:-2 fâché:-2 furieux:-3 furieuse:-3 triste:-2
malheureux:-2 malheureuse:-2 mécontent:-2 malheureusement:-1 hélas:-1 détester:-3 déteste:-3 haine:-3
problème:-2 problèmes:-2 difficile:-1 compliqué:-1 confus:-2 chaotique:-2 lent:-1 lente:-1 cassé:-2
défectueux:-2 endommagé:-2 dommage:-1 erreur:-2 erreurs:-2 faute:-2 faux:-2 inutile:-2
arnaque:-3 escroquerie:-3 fraude:-3 dangereux:-2 dangereuse:-2 danger:-2 risque:-1 risqué:-2 douleur:-2
douloureux:-2 stress:-2 stressant:-2 inquiet:-1 inquiète:-1 peur:-2 plainte:-2 plaintes:-2 impoli:-2
incompétent:-3 paresseux:-2 négligent:-2 inacceptable:-3 ridicule:-2 stupide:-2 ennuyeux:-2 ennuyeuse:-2
fatigant:-2 fatigué:-1 faible:-1 perte:-2 perdu:-1 retard:-1 panne:-2 échec:-2 échoué:-2 catastrophe:-3
catastrophique:-3 cauchemar:-3 tragique:-3 désespéré:-3 gênant:-2 désagréable:-2 malade:-2
sale:-2 bruyant:-1 cruel:-3 méchant:-2 violence:-3 pénible:-2 médiocre:-2 lamentable:-3
`
