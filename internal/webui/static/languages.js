// languages.js: the languages Copydesk analyzes and translates.
export const LANGUAGES = ["nl", "en", "de", "fr", "es", "it", "pt"];
export const LANGUAGE_NAMES = { nl: "Dutch", en: "English", de: "German", fr: "French", es: "Spanish", it: "Italian", pt: "Portuguese" };
