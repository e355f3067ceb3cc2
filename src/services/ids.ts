/** Our resource ids are v4 UUIDs; anything else cannot name a row, so it is answered without a query. */
export const isUuid = (id: string): boolean => /^[0-9a-f-]{36}$/.test(id);
