from django.urls import path

from accounts import views

urlpatterns = [
    path("", views.OrgHomeView.as_view(), name="org_home"),
]
