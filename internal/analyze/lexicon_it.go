package analyze

// lexiconIT is Copydesk's own Italian sentiment lexicon: word:polarity,
// -3..+3. Gender and number forms of adjectives in -o are generated.
// Written for Copydesk (see DATA-LICENSES.md); not derived from any other
// list.
const lexiconIT = `
buono:2 buon:2 migliore:2 ottimo:3 eccellente:3 perfetto:3 fantastico:3 meraviglioso:3 magnifico:3
splendido:3 bello:2 bellissimo:3 piacevole:2 delizioso:3 simpatico:2 gentile:2 affidabile:2
stabile:1 veloce:1 rapido:1 semplice:1 facile:2 pratico:2 utile:2 efficace:2 efficiente:2 prezioso:2
economico:2 gratuito:1 comodo:2 pulito:1 competente:2 professionale:1 contento:2 felice:3 soddisfatto:2
entusiasta:3 grato:2 orgoglioso:2 grazie:2 amare:3 adoro:3 piace:2 consigliato:2 successo:2
riuscito:2 vantaggio:2 vantaggi:2 soluzione:1 risolto:2 migliorato:2 miglioramento:2 progresso:2 gioia:3
piacere:2 felicità:3 impressionante:2 notevole:2 ideale:2 intuitivo:2 positivo:2 ottimista:2
accurato:2 eccezionale:3 incredibile:2 bravo:3 complimenti:3
cattivo:-2 male:-2 peggiore:-3 peggio:-2 orribile:-3 terribile:-3 pessimo:-3 deludente:-2 deluso:-2
delusione:-2 fastidioso:-2 arrabbiato:-2 furioso:-3 triste:-2 infelice:-2 insoddisfatto:-2
purtroppo:-1 odio:-3 odiare:-3 problema:-2 problemi:-2 difficile:-1 complicato:-1 confuso:-2 caotico:-2
lento:-1 rotto:-2 difettoso:-2 danneggiato:-2 danno:-2 errore:-2 errori:-2 sbagliato:-2 falso:-2
inutile:-2 costoso:-1 truffa:-3 frode:-3 pericoloso:-2 pericolo:-2 rischio:-1 rischioso:-2
dolore:-2 doloroso:-2 stress:-2 stressante:-2 preoccupato:-1 paura:-2 reclamo:-2 reclami:-2 maleducato:-2
scortese:-2 incompetente:-3 pigro:-2 inaccettabile:-3 ridicolo:-2 stupido:-2 noioso:-2 faticoso:-2
stanco:-1 debole:-1 perdita:-2 perso:-1 ritardo:-1 guasto:-2 fallimento:-2 catastrofe:-3 disastro:-3
disastroso:-3 incubo:-3 tragico:-3 disperato:-3 imbarazzante:-2 sgradevole:-2 malato:-2 sporco:-2
rumoroso:-1 crudele:-3 violenza:-3 mediocre:-2 pessimamente:-3
`
