"""Domain events that hub/ and ird/ listen to, so that referrals/ never imports them.

Sent inside the transaction of the change they announce: a receiver's writes commit or roll
back with it. Receivers connect in their AppConfig.ready().

referral_received(referral, actor)     a referral was recorded (web form or partner API); actor
                                       is the staff member or API client the audit log names
screening_approved(referral, decision) a manager approved a screening decision
referral_disposing(referral, method)   a closed referral past its retention period is about to
                                       be deleted or anonymised (method "delete"/"anonymise");
                                       receivers do the same to their own records about it
"""

from django.dispatch import Signal

referral_received = Signal()
screening_approved = Signal()
referral_disposing = Signal()
