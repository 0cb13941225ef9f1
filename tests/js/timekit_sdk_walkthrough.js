'use strict';
// The guide's group-booking walk-through, sent by Timekit's own JS SDK (npm timekit-sdk).
// Reads {api_base_url, api_key, classes: [two class bodies], window: {start, end}} as JSON on
// standard input; prints what every step answered ({step, status, data}) as one JSON list.
// Nothing is asserted here: tests/integration/test_timekit_sdk.py reads the transcript.
const fs = require('fs');
const timekit = require('timekit-sdk');

const MARTY = { name: 'Marty McFly', email: 'marty@mcfly.example' };

async function walkthrough(given, transcript) {
  const sdk = timekit.newInstance();
  // The SDK builds apiBaseUrl + 'v2' + path, and sends the key as Basic auth (":" + key).
  sdk.configure({ apiBaseUrl: given.api_base_url, appKey: given.api_key });

  async function step(name, request) {
    try {
      const response = await request();
      transcript.push({ step: name, status: response.status, data: response.data });
      return response.data;
    } catch (error) {
      // The SDK rejects with the HTTP response, or with the request when none came back.
      transcript.push({ step: name, status: error.status || null, data: error.data || String(error) });
      throw new Error(`step ${name} failed`);
    }
  }

  // 1. Define availability: a class, and one with Doc's booking rules.
  await step('create_class', () => sdk.createBooking(given.classes[0]));
  const ruled = await step('create_class_with_rules', () => sdk.createBooking(given.classes[1]));

  // Query availability: the public list, within a period (the SDK's carry adds the query).
  await step('list_groups', () => sdk.carry({ params: given.window }).getGroupBookings());

  // 2. Marty signs up, then again with a friend (two seats).
  const marty = await step('book', () =>
    sdk.createBooking({
      graph: 'group_customer',
      related: { owner_booking_id: ruled.id },
      customer: MARTY,
    }),
  );
  await step('book_with_a_friend', () =>
    sdk.createBooking({
      graph: 'group_customer',
      action: 'create',
      related: { owner_booking_id: ruled.id, seats: 2 },
      customer: MARTY,
    }),
  );

  // 3. Marty cancels his first booking with a message to Doc.
  await step('cancel_by_customer', () =>
    sdk.updateBooking({
      id: marty.id,
      action: 'cancel_by_customer',
      cancel_by_customer: { message: 'Double booked. Sorry, Doc!' },
    }),
  );

  // 4. Doc counts mats: the class with its related bookings.
  await step('read_with_include', () =>
    sdk.include('attributes', 'related_bookings').getBooking({ id: ruled.id }),
  );

  // Doc cancels the class; everyone who still held a seat is told.
  await step('cancel_class', () =>
    sdk.updateBooking({
      id: ruled.id,
      action: 'cancel',
      cancel: { message: 'Getting the DeLorean fixed that day. Doc.' },
    }),
  );
  await step('read_after_cancel', () =>
    sdk.include('attributes', 'related_bookings', 'logs').getBooking({ id: ruled.id }),
  );
  await step('list_groups_after_cancel', () =>
    sdk.carry({ params: given.window }).getGroupBookings(),
  );
}

async function main() {
  const given = JSON.parse(fs.readFileSync(0, 'utf8'));
  const transcript = [];
  try {
    await walkthrough(given, transcript);
  } catch (error) {
    process.stdout.write(JSON.stringify(transcript, null, 1));
    process.stderr.write(String(error) + '\n');
    process.exit(1);
  }
  process.stdout.write(JSON.stringify(transcript));
}

main();
