package analyze

// lexiconES is Copydesk's own Spanish sentiment lexicon: word:polarity,
// -3..+3. Gender and number forms of adjectives in -o are generated.
// Written for Copydesk (see DATA-LICENSES.md); not derived from any other
// list.
const lexiconES = `
bueno:2 buen:2 mejor:2 excelente:3 perfecto:3 genial:3 estupendo:3 maravilloso:3 magnífico:3 fantástico:3
precioso:3 bonito:2 hermoso:3 agradable:2 delicioso:3 simpático:2 amable:2 cariñoso:2 fiable:2
estable:1 rápido:1 sencillo:1 fácil:2 práctico:2 útil:2 eficaz:2 eficiente:2 valioso:2 económico:2
gratis:1 gratuito:1 cómodo:2 limpio:1 competente:2 profesional:1 contento:2 feliz:3 satisfecho:2
encantado:3 agradecido:2 orgulloso:2 gracias:2 amar:3 encanta:3 gusta:2 disfrutar:2 recomiendo:2
recomendable:3 éxito:2 exitoso:2 logrado:2 ganar:2 ventaja:2 ventajas:2 solución:1 resuelto:2
mejorado:2 mejora:2 progreso:2 alegría:3 placer:2 felicidad:3 impresionante:2 notable:2 ideal:2
intuitivo:2 positivo:2 optimista:2 cuidadoso:2 excepcional:3 increíble:2 bravo:3 felicidades:3
malo:-2 mal:-2 peor:-3 horrible:-3 terrible:-3 espantoso:-3 pésimo:-3 decepcionante:-2 decepcionado:-2
decepción:-2 molesto:-2 enfadado:-2 furioso:-3 triste:-2 infeliz:-2 insatisfecho:-2 lamentablemente:-1
desgraciadamente:-1 odio:-3 odiar:-3 problema:-2 problemas:-2 difícil:-1 complicado:-1 confuso:-2
caótico:-2 lento:-1 roto:-2 defectuoso:-2 dañado:-2 daño:-2 error:-2 errores:-2 fallo:-2 falso:-2
inútil:-2 caro:-1 estafa:-3 fraude:-3 peligroso:-2 peligro:-2 riesgo:-1 arriesgado:-2 dolor:-2
doloroso:-2 estrés:-2 estresante:-2 preocupado:-1 miedo:-2 queja:-2 quejas:-2 grosero:-2 maleducado:-2
incompetente:-3 perezoso:-2 inaceptable:-3 ridículo:-2 estúpido:-2 aburrido:-2 agotador:-2 cansado:-1
débil:-1 pérdida:-2 perdido:-1 retraso:-1 avería:-2 fracaso:-2 catástrofe:-3 desastre:-3 desastroso:-3
pesadilla:-3 trágico:-3 desesperado:-3 vergonzoso:-2 desagradable:-2 enfermo:-2 sucio:-2
ruidoso:-1 cruel:-3 violencia:-3 mediocre:-2 lamentable:-3
`
