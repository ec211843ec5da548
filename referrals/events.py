"""Domain events that hub/ and ird/ listen to, so that referrals/ never imports them.

Sent inside the transaction of the change they announce: a receiver's writes commit or roll
back with it. Receivers connect in their AppConfig.ready().

referral_received(referral, actor)     a referral was recorded (web form or partner API); actor
                                       is the staff member or API client the audit log names
screening_approved(referral, decision) a manager approved a screening decision
referral_disposing(referral, method)   a closed referral past its retention period is about to
                                       be deleted or anonymised (method "delete"/"anonymise");
                                       receivers do the same to their own records about it
kept_apart_disposing(referral_id, record_type, completed_by)
                                       an app's records about a referral kept on a clock of
                                       their own (extensions.kept_apart) are past retention:
                                       the app deletes those of `record_type` completed on or
                                       before `completed_by` (a date)
"""

from django.dispatch import Signal

referral_received = Signal()
screening_approved = Signal()
referral_disposing = Signal()
kept_apart_disposing = Signal()
