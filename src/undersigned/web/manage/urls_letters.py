from django.urls import path

from undersigned.web.manage import letters as manage

app_name = "manage"
urlpatterns = [
    path("", manage.home, name="home"),
    path("letters/new/", manage.letter_create, name="letter_create"),
    path("letters/<slug:slug>/", manage.letter_detail, name="letter"),
    path("letters/<slug:slug>/edit/", manage.letter_edit, name="letter_edit"),
    path("letters/<slug:slug>/state/", manage.letter_transition, name="letter_transition"),
    path("letters/<slug:slug>/texts/", manage.text_edit, name="text_edit"),
    path("letters/<slug:slug>/texts/remove/", manage.text_remove, name="text_remove"),
    path("letters/<slug:slug>/demands/new/", manage.demand_add, name="demand_add"),
    path("letters/<slug:slug>/demands/<int:demand_id>/", manage.demand_edit, name="demand_edit"),
    path(
        "letters/<slug:slug>/demands/<int:demand_id>/remove/",
        manage.demand_remove,
        name="demand_remove",
    ),
    path(
        "letters/<slug:slug>/demands/<int:demand_id>/move/", manage.demand_move, name="demand_move"
    ),
    path("letters/<slug:slug>/addenda/new/", manage.addendum_add, name="addendum_add"),
    path(
        "letters/<slug:slug>/addenda/<int:addendum_id>/remove/",
        manage.addendum_remove,
        name="addendum_remove",
    ),
    path("letters/<slug:slug>/organizers/invite/", manage.member_invite, name="member_invite"),
]
