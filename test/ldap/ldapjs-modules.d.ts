// ldapjs's sub-packages ship no type declarations; only the tests use them (to encode requests
// and parse responses independently of the server's own codec).
declare module '@ldapjs/attribute';
declare module '@ldapjs/dn';
declare module '@ldapjs/messages';
declare module '@ldapjs/controls';
declare module '@ldapjs/asn1';
