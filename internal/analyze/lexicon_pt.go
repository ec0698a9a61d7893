package analyze

// lexiconPT is Copydesk's own Portuguese sentiment lexicon: word:polarity,
// -3..+3. Gender and number forms of adjectives in -o are generated.
// Written for Copydesk (see DATA-LICENSES.md); not derived from any other
// list.
const lexiconPT = `
bom:2 boa:2 melhor:2 ótimo:3 excelente:3 perfeito:3 fantástico:3 maravilhoso:3 magnífico:3 esplêndido:3
lindo:3 bonito:2 agradável:2 delicioso:3 simpático:2 gentil:2 confiável:2 estável:1 rápido:1
simples:1 fácil:2 prático:2 útil:2 eficaz:2 eficiente:2 valioso:2 económico:2 econômico:2 gratuito:1
confortável:2 limpo:1 competente:2 profissional:1 contente:2 feliz:3 satisfeito:2 encantado:3 grato:2
orgulhoso:2 obrigado:2 amar:3 adoro:3 gosto:2 recomendo:2 recomendado:2 sucesso:2 vantagem:2
vantagens:2 solução:1 resolvido:2 melhorado:2 melhoria:2 progresso:2 alegria:3 prazer:2 felicidade:3
impressionante:2 notável:2 ideal:2 intuitivo:2 positivo:2 otimista:2 cuidadoso:2 excecional:3
excepcional:3 incrível:2 parabéns:3
mau:-2 má:-2 ruim:-2 pior:-3 horrível:-3 terrível:-3 péssimo:-3 decepcionante:-2 decepcionado:-2
decepção:-2 chato:-2 irritado:-2 furioso:-3 triste:-2 infeliz:-2 insatisfeito:-2 infelizmente:-1
ódio:-3 odiar:-3 problema:-2 problemas:-2 difícil:-1 complicado:-1 confuso:-2 caótico:-2 lento:-1
quebrado:-2 defeituoso:-2 danificado:-2 dano:-2 erro:-2 erros:-2 falha:-2 falso:-2 inútil:-2 caro:-1
golpe:-2 fraude:-3 perigoso:-2 perigo:-2 risco:-1 arriscado:-2 dor:-2 doloroso:-2 estresse:-2 stress:-2
preocupado:-1 medo:-2 reclamação:-2 reclamações:-2 grosseiro:-2 mal-educado:-2 incompetente:-3
preguiçoso:-2 inaceitável:-3 ridículo:-2 estúpido:-2 aborrecido:-2 cansativo:-2 cansado:-1 fraco:-1
perda:-2 perdido:-1 atraso:-1 avaria:-2 fracasso:-2 catástrofe:-3 desastre:-3 desastroso:-3 pesadelo:-3
trágico:-3 desesperado:-3 vergonhoso:-2 desagradável:-2 doente:-2 sujo:-2 barulhento:-1 cruel:-3
violência:-3 medíocre:-2 lamentável:-3
`
