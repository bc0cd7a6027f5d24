// ldapjs's sub-packages ship no type declarations; we use them only in src/ldap/.
declare module '@ldapjs/attribute';
declare module '@ldapjs/dn';
declare module '@ldapjs/messages';
declare module '@ldapjs/controls';
declare module '@ldapjs/asn1';
