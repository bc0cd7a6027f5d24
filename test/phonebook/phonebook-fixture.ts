// The fixture account every phonebook golden file is rendered from: the nasty cases phones choke on.
export const PHONE_USER = 'phones';
export const PHONE_PASSWORD = 'phone-secret-1';

export const NASTY_CONTACTS = [
  { firstName: 'José', lastName: 'Álvarez & Sons', company: 'Plumbing "Co" <Ltd>', workNumber: '+1 (469) 429-2500', mobileNumber: '214-555-0101', groups: ['Suppliers'] },
  { company: 'Henry Schein 😀', workNumber: '1-800-372-4346', groups: ['Suppliers', 'VIP'] },
  { firstName: 'Bartholomew-Maximilian', lastName: 'Wolfeschlegelsteinhausenbergerdorff-Ångström', workNumber: '2125550100' },
  { firstName: 'Priya', lastName: 'Raman', title: 'Orthodontist', workNumber: '972 555 0110', mobileNumber: '972 555 0111', homeNumber: '972 555 0112', faxNumber: '972 555 0113' },
  { firstName: 'דוד', lastName: 'כהן', workNumber: '+972 3 555 0123' },
  { firstName: 'Ctrl\u0007Char', lastName: 'Test\u0001', workNumber: '3125550199' },
  { firstName: "Tom", lastName: "O'Brien", company: 'Main Street Office', workNumber: '2001', groups: ['Offices'] },
  { firstName: 'Nan "The Boss"', lastName: "D'Arcy <Sales> & Co", workNumber: '+44 20 7946 0958', groups: ['VIP'] },
];
